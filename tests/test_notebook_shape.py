"""The shared shape of the lesson notebooks (tools/notebook_shape.py), one test per notebook and rule.

A failure reads ``test_notebook_follows_rule[lesson_1/NAME.ipynb-badge]`` and its message says what
to fix. The second half tests the gate itself on a tiny notebook that is right and on broken copies.
"""
import copy
import functools
import json
from pathlib import Path

import pytest

from tools import notebook_shape as shape
from tools.notebooks import ROOT, setup_spec
from tools.slide_metadata import add_slide_metadata

NOTEBOOKS = shape.lesson_notebooks(ROOT)
MODULES = shape.course_modules(ROOT)


@functools.lru_cache(maxsize=None)
def problems_of(rel_path):
    return shape.check_notebook(ROOT / rel_path, rel_path)


def _notebook_params():
    if not NOTEBOOKS:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no lesson notebooks yet"))]
    return [pytest.param(nb.relative_to(ROOT).as_posix(), rule, id=f"{nb.relative_to(ROOT).as_posix()}-{rule}")
            for nb in NOTEBOOKS for rule in shape.RULES]


@pytest.mark.parametrize("notebook,rule", _notebook_params())
def test_notebook_follows_rule(notebook, rule):
    broken = [p.message for p in problems_of(notebook) if p.rule == rule]
    assert not broken, f"{notebook} breaks '{rule}':\n  " + "\n  ".join(broken)


@pytest.mark.parametrize("module", MODULES, ids=[m.relative_to(ROOT).as_posix() for m in MODULES])
def test_course_module_uses_no_old_api(module):
    broken = [p.message for p in shape.check_python_file(module)]
    assert not broken, f"{module.relative_to(ROOT).as_posix()} breaks 'old-api':\n  " + "\n  ".join(broken)


# ------------------------------------------------------------------------------------------
# the gate itself

REL = "lesson_9/1-tiny.ipynb"


def _cell(kind, source, count=None, outputs=None, tags=None):
    cell = {"cell_type": kind, "metadata": {"tags": tags} if tags else {}, "source": source}
    if kind == "code":
        cell.update(execution_count=count, outputs=outputs or [])
    return cell


def _stream(textout, name="stdout"):
    return {"output_type": "stream", "name": name, "text": textout}


GOOD = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "cells": [
        _cell("markdown", "# A tiny lesson\n\n[![Open In Colab](https://colab.research.google.com/assets/"
                          f"colab-badge.svg)]({shape.colab_url(REL)})\n\nWhat it is for. About 1 minute.\n\n"
                          "New words: the [glossary](../docs/glossary.md)."),
        _cell("markdown", "## Learning objectives\n\n- one"),
        _cell("code", '# Setup\nimport sys\nif "google.colab" in sys.modules:\n    '
                      f'%pip install --quiet "{setup_spec()}"',
              1),
        _cell("code", "from rllib_course.ray_start import start_ray\nimport ray\nstart_ray()", 2,
              [_stream("2\n")]),
        _cell("code", "# NBVAL_IGNORE_OUTPUT\nprint(algo.train())", 3, [_stream("{...}\n")]),
        _cell("code", "# NBVAL_RAISES_EXCEPTION\nconfig.training(sgd_minibatch_size=128)  # old-api: shown on purpose",
              4, [{"output_type": "error", "ename": "TypeError", "evalue": "unexpected keyword", "traceback": []}]),
        _cell("code", 'from IPython.display import Markdown\nMarkdown("| old | new |\\n|---|---|\\n'
                      '| `num_sgd_iter` | `num_epochs` |")', 5,
              [{"output_type": "execute_result", "execution_count": 5, "metadata": {},
                "data": {"text/markdown": "| old | new |"}}]),
        _cell("code", "# num_rollout_workers is called num_env_runners now\n"
                      "config = config.env_runners(num_env_runners=0)\nalgo = config.build_algo()\n"
                      'spec = config.get_rl_module_spec(env=env).build()', 6),
        _cell("code", "", None),
        _cell("markdown", "## Summary\n\n- done\n\n## Exercises\n\n### Exercise 1"),
        _cell("markdown", "### Reference solution\n\nClick the folded cell to show it."),
        {**_cell("code", f"{shape.SOLUTION_TITLE}\nprint(solution())", 7, [_stream("[correct]\n")]),
         "metadata": {"jupyter": {"source_hidden": True, "outputs_hidden": True}, "cellView": "form"}},
        _cell("markdown", "## What comes next"),
        _cell("code", "ray.shutdown()", 8),
    ],
}
add_slide_metadata(GOOD)


def _rules(tmp_path, nb, rel=REL, raw=None):
    path = tmp_path / "nb.ipynb"
    path.write_text(raw if raw is not None else json.dumps(nb), encoding="utf-8")
    return {p.rule for p in shape.check_notebook(path, rel)}


def test_a_good_notebook_passes(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    assert shape.check_notebook(path, REL) == []


def _set(index, **changes):
    def mutate(nb):
        nb["cells"][index].update(changes)
    return mutate


def _insert(index, cell):
    def mutate(nb):
        nb["cells"].insert(index, cell)
    return mutate


def _drop_matching(word):
    def mutate(nb):
        for c in nb["cells"]:
            if c["cell_type"] == "markdown":
                c["source"] = "\n".join(l for l in c["source"].split("\n") if word not in l)
    return mutate


def _ignore_all(nb):
    nb["cells"][3]["source"] = "# NBVAL_IGNORE_OUTPUT\n" + nb["cells"][3]["source"]
    nb["cells"][6]["metadata"]["tags"] = ["nbval-ignore-output"]


def _drop_shutdown(nb):
    nb["cells"][-1]["source"] = "print('bye')"


BROKEN = {
    "title: first cell is code": ("title", _insert(0, _cell("code", "1", None))),
    "title: no '# ' heading": ("title", _set(0, source="A tiny lesson\n\n" + GOOD["cells"][0]["source"])),
    "badge: missing": ("badge", _set(0, source="# A tiny lesson\n\nNo badge.")),
    "badge: links to another notebook": ("badge", _set(0, source=GOOD["cells"][0]["source"].replace(
        "1-tiny", "2-other"))),
    "setup: installs something else": ("setup", _set(2, source='%pip install --quiet "commenv[rllib]"')),
    "setup: another repository": ("setup", _set(2, source=GOOD["cells"][2]["source"].replace(
        "git+https://", "git+https://example.org/fork/"))),
    "slides: a cell without its type": ("slides", _set(4, metadata={})),
    "slides: a heading changed": ("slides", _set(1, source="Learning objectives, no longer a heading")),
    "sections: no objectives": ("sections", _drop_matching("objectives")),
    "sections: no summary": ("sections", _drop_matching("Summary")),
    "sections: no exercises": ("sections", _drop_matching("Exercise")),
    "executed: a cell not run": ("executed", _set(3, execution_count=None)),
    "executed: a gap": ("executed", _set(4, execution_count=9)),
    "executed: starts at 2": ("executed", _set(2, execution_count=2)),
    "errors: stored error": ("errors", _set(3, outputs=[{"output_type": "error", "ename": "ValueError",
                                                         "evalue": "boom", "traceback": []}])),
    "errors: traceback on stderr": ("errors", _set(3, outputs=[_stream(
        "Traceback (most recent call last):\n  ...\n", "stderr")])),
    "paths: in a source": ("paths", _set(7, source="open('/home/alice/data.csv')")),
    "paths: in an output": ("paths", _set(3, outputs=[_stream("saved to /tmp/ckpt_1\n")])),
    "paths: windows path in markdown": ("paths", _set(1, source="## Learning objectives\n\nC:\\Users\\bob")),
    "ignored: more than half": ("ignored", _ignore_all),
    "ray-shutdown: missing": ("ray-shutdown", _drop_shutdown),
    "old-api: num_sgd_iter": ("old-api", _set(7, source="config.training(num_sgd_iter=10)")),
    "old-api: sgd_minibatch_size": ("old-api", _set(7, source="cfg = cfg.training(sgd_minibatch_size=64)")),
    "old-api: rollouts": ("old-api", _set(7, source="config.rollouts(num_env_runners=1)")),
    "old-api: num_rollout_workers": ("old-api", _set(7, source="config.env_runners(num_rollout_workers=1)")),
    "old-api: num_envs_per_worker": ("old-api", _set(7, source="config.env_runners(num_envs_per_worker=2)")),
    "old-api: training(model=)": ("old-api", _set(7, source='config.training(\n    lr=1e-3,\n'
                                                            '    model={"fcnet_hiddens": [32]},\n)')),
    "old-api: compute_single_action": ("old-api", _set(7, source="a = algo.compute_single_action(obs)")),
    "old-api: PPOTrainer": ("old-api", _set(7, source="from ray.rllib.agents.ppo import PPOTrainer")),
    "old-api: get_policy": ("old-api", _set(7, source="policy = algo.get_policy()")),
    "old-api: config.build()": ("old-api", _set(7, source="algo = config.build()")),
    "old-api: chained .build()": ("old-api", _set(7, source='algo = (PPOConfig()\n  .environment("comm_env")\n'
                                                            '  .training(lr=1e-3)\n  .build())')),
    "old-api: result key in a string": ("old-api", _set(7, source='print(result["episode_reward_mean"])')),
    "glossary: no link": ("glossary", _set(0, source=GOOD["cells"][0]["source"].split("\n\nNew words")[0])),
    "glossary: not relative to the notebook": ("glossary", _set(0, source=GOOD["cells"][0]["source"].replace(
        "../docs/glossary.md", "docs/glossary.md"))),
    "solutions: source shown": ("solutions", _set(11, metadata={"jupyter": {"outputs_hidden": True},
                                                                 "cellView": "form"})),
    "solutions: output shown": ("solutions", _set(11, metadata={"jupyter": {"source_hidden": True},
                                                                 "cellView": "form"})),
    "solutions: no Colab form": ("solutions", _set(11, metadata={"jupyter": {"source_hidden": True,
                                                                              "outputs_hidden": True}})),
    "solutions: no title line": ("solutions", _set(11, source="print(solution())")),
    "solutions: no word on how to show it": ("solutions", _set(10, source="### Reference solution\n\nBelow.")),
    "solutions: a second solution cell not folded": ("solutions", _insert(12, _cell("code", "print(1)", 8))),
    "not json": ("json", None),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_a_broken_notebook_fails_the_rule(tmp_path, case):
    rule, mutate = BROKEN[case]
    if mutate is None:
        assert rule in _rules(tmp_path, None, raw="{not json")
        return
    nb = copy.deepcopy(GOOD)
    mutate(nb)
    assert rule in _rules(tmp_path, nb), f"{case}: the '{rule}' rule did not fire"


def test_solutions_end_at_the_next_heading():
    """Code after 'What comes next' is no solution; a heading in the solution's own cell ends it too."""
    nb = copy.deepcopy(GOOD)
    assert shape.solution_cells(nb["cells"]) == ([10], [11])
    nb["cells"][10]["source"] += "\n\n## What comes next"
    assert shape.solution_cells(nb["cells"]) == ([10], [])


def test_notebooks_not_yet_folded_skip_only_the_new_rules(tmp_path, monkeypatch):
    nb = copy.deepcopy(GOOD)
    nb["cells"][0]["source"] = GOOD["cells"][0]["source"].split("\n\nNew words")[0]
    nb["cells"][11]["metadata"] = {"slideshow": GOOD["cells"][11]["metadata"]["slideshow"]}
    nb["cells"][3]["execution_count"] = None
    assert {"glossary", "solutions", "executed"} <= _rules(tmp_path, nb)
    monkeypatch.setattr(shape, "NOT_YET_FOLDED", (REL,))
    assert _rules(tmp_path, nb) == {"executed"}


def test_markers_follow_nbval():
    """A marker inside a string or after code is no marker for nbval, so it does not count as ignored."""
    nb = copy.deepcopy(GOOD)
    _ignore_all(nb)
    assert "ignored" in _rules_of(nb)
    nb["cells"][3]["source"] = 'print("# NBVAL_IGNORE_OUTPUT")\nprint(algo.train())  # NBVAL_IGNORE_OUTPUT'
    assert "ignored" not in _rules_of(nb)


def _rules_of(nb):
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        return _rules(Path(tmp), nb)


def test_course_modules_cover_both_packages():
    names = {path.relative_to(ROOT).as_posix() for path in MODULES}
    assert {"commenv/env.py", "commenv/rllib/modules.py", "rllib_course/training.py"} <= names


def test_a_big_notebook_fails_size(tmp_path):
    nb = copy.deepcopy(GOOD)
    nb["cells"][1]["source"] += "\n\n" + "x" * (shape.MAX_BYTES + 1)
    assert "size" in _rules(tmp_path, nb)


def test_old_api_allowed_in_teaching_contexts():
    assert shape.old_api_uses("x = 1  # num_sgd_iter was renamed num_epochs") == []
    assert shape.old_api_uses('Markdown("| num_sgd_iter | num_epochs |")', allow_strings=True) == []
    assert shape.old_api_uses('print("num_sgd_iter")') != []
    assert shape.old_api_uses("module = RLModuleSpec(module_class=M).build()") == []
    assert shape.old_api_uses("%pip install ray\nconfig.training(model_config={})") == []
    assert shape.old_api_uses("%%bash\necho num_sgd_iter") == []


def test_commenv_file_marker(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f(config):\n    return config.build()\n")
    assert [p.rule for p in shape.check_python_file(bad)] == ["old-api"]
    bad.write_text("def f(config):\n    return config.build()  # old-api: shown on purpose\n")
    assert shape.check_python_file(bad) == []


def test_cli_reports_and_exits_nonzero(tmp_path, capsys):
    nb = copy.deepcopy(GOOD)
    nb["cells"][3]["execution_count"] = None
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert shape.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "nb.ipynb: executed: cell 3 was not run" in out
    assert out.rstrip().splitlines()[-1].startswith("1 files checked, ")
