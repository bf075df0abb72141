"""Fast checks of the course's maintenance tools (slides, budgets, browser smoke test); no kernel, no browser."""
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # the budget runner and the browser test read notebooks with it
pytest.importorskip("psutil")

from tools import browser_smoke, notebooks, run_notebooks, slide_metadata  # noqa: E402
from tools.notebooks import ROOT  # noqa: E402

OUTPUT = {"output_type": "stream", "name": "stdout", "text": ["42\n"]}
NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "\n", "badge"]},
        {"cell_type": "markdown", "metadata": {}, "source": "## 1. A section\n\ntext"},
        {"cell_type": "code", "metadata": {"tags": ["x"]}, "source": "print(42)", "execution_count": 1,
         "outputs": [OUTPUT]},
        {"cell_type": "markdown", "metadata": {}, "source": "### A detail"},
        {"cell_type": "markdown", "metadata": {}, "source": "Prose before the next code cell."},
        {"cell_type": "code", "metadata": {}, "source": "", "execution_count": None, "outputs": []},
        {"cell_type": "markdown", "metadata": {}, "source": "#### small heading"},
    ],
}


def test_slide_types_follow_the_headings():
    nb = slide_metadata.add_slide_metadata(copy.deepcopy(NOTEBOOK))
    types = [c["metadata"]["slideshow"]["slide_type"] for c in nb["cells"]]
    assert types == ["slide", "slide", "-", "subslide", "subslide", "skip", "subslide"]


def test_slide_metadata_touches_nothing_else(tmp_path):
    path = tmp_path / "lesson.ipynb"
    path.write_text(slide_metadata.dumps(NOTEBOOK), encoding="utf-8")
    assert slide_metadata.main(["--in-place", str(path)]) == 0
    once = path.read_text(encoding="utf-8")
    nb = json.loads(once)
    for cell in nb["cells"]:
        del cell["metadata"]["slideshow"]
    assert nb == NOTEBOOK  # sources, outputs, execution counts and other metadata are unchanged
    slide_metadata.main(["--in-place", str(path)])
    assert path.read_text(encoding="utf-8") == once  # idempotent


def test_slide_metadata_writes_copies_under_out(tmp_path):
    src = tmp_path / "lesson.ipynb"
    src.write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    slide_metadata.main(["--out", str(tmp_path / "out"), str(src)])
    assert json.loads(src.read_text()) == NOTEBOOK
    assert (tmp_path / "out" / "lesson.ipynb").exists()


def test_expected_errors_are_tagged_for_nbclient():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\n1/0"),
                                         nbformat.v4.new_code_cell("x = 1  # NBVAL_RAISES_EXCEPTION")])
    marked = notebooks.mark_expected_errors(nb)
    assert nb.cells[0].metadata["tags"] == ["raises-exception"]
    assert "tags" not in nb.cells[1].metadata  # nbval only reads the marker as a whole comment line
    notebooks.unmark(marked)
    assert "tags" not in nb.cells[0].metadata


def test_run_one_writes_fresh_outputs_only_when_asked(tmp_path):
    path = tmp_path / "tiny.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)"),
                                         nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\n1 / 0")])
    nbformat.write(nb, path)
    assert run_notebooks.run_one(path, 60, 0.2, "python3").status == "ok"
    assert nbformat.read(path, as_version=4).cells[0].outputs == []  # measured in memory, file untouched
    assert run_notebooks.run_one(path, 60, 0.2, "python3", write=True).status == "ok"
    written = nbformat.read(path, as_version=4)
    assert written.cells[0].outputs[0]["text"] == "42\n"
    assert written.cells[1].outputs[0]["ename"] == "ZeroDivisionError"
    assert "tags" not in written.cells[1].metadata  # the tag added for nbclient is not saved


def test_sampler_counts_a_child_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(80 * 1024 * 1024); time.sleep(20)"])
    try:
        sampler = run_notebooks.Sampler(0.1, "test", deadline_s=60, on_deadline=lambda: None)
        deadline = time.time() + 15
        while sampler.peak < 80 * 1024 * 1024 and time.time() < deadline:
            sampler.sample()
            time.sleep(0.1)
        assert sampler.peak >= 80 * 1024 * 1024
        assert child.pid in sampler.ours
    finally:
        child.kill()
        child.wait()


def test_budget_table():
    ok = run_notebooks.Measurement("lesson_1/a.ipynb", wall_s=12.34, peak_bytes=int(1.5e9))
    bad = run_notebooks.Measurement("lesson_1/b.ipynb", wall_s=200, peak_bytes=0, status="over time: > 180 s",
                                    measure="RSS", leftovers=2)
    table = run_notebooks.markdown_table([ok, bad], 180, 2.0, (0.1, 0.2, 0.3))
    assert "| lesson_1/a.ipynb | 12.3 | 1.50 | ok |" in table
    assert "| lesson_1/b.ipynb | 200.0 | 0.00 | over time: > 180 s (memory as RSS; 2 processes still" in table
    assert "load average (1, 5, 15 min) at the start: 0.10, 0.20, 0.30" in table


@pytest.mark.parametrize("states,problem", [
    ([("[1]:", []), ("[2]:", [])], None),
    ([("[1]:", []), ("[ ]:", [])], "did not run"),
    ([("[1]:", []), ("[3]:", [])], "expected [2]"),
    ([("[1]:", [("application/vnd.jupyter.stderr", "Traceback (most recent call last):\n ValueError: x")]),
      ("[2]:", [])], "shows an error"),
    ([("[1]:", [("application/vnd.jupyter.stderr", "UserWarning: careful")]), ("[2]:", [])], None),
])
def test_browser_check(states, problem):
    cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("print(2)")]
    if problem is None:
        browser_smoke.check(states, cells)
    else:
        with pytest.raises(browser_smoke.SmokeFailure, match=problem.replace("[", r"\[").replace("]", r"\]")):
            browser_smoke.check(states, cells)


def test_browser_check_allows_errors_nbval_expects():
    states = [("[1]:", [("application/vnd.jupyter.stderr", "Traceback (most recent call last):\nValueError")])]
    browser_smoke.check(states, [nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\nraise ValueError")])
    tagged = nbformat.v4.new_code_cell("raise ValueError")
    tagged.metadata["tags"] = ["raises-exception"]
    browser_smoke.check(states, [tagged])
    with pytest.raises(browser_smoke.SmokeFailure, match="shows an error"):  # the name in a string is no marker
        browser_smoke.check(states, [nbformat.v4.new_code_cell('print("NBVAL_RAISES_EXCEPTION")\nraise ValueError')])


# Slides are presented live with RISE (jupyterlab-rise), which reads each cell's slide type from the notebook.

LESSON = ROOT / "lesson_1" / "1-rl_and_the_gymnasium_api.ipynb"


def test_stale_cells_name_the_cells_without_their_slide_type():
    nb = copy.deepcopy(NOTEBOOK)
    assert slide_metadata.stale_cells(nb) == list(range(len(nb["cells"])))
    slide_metadata.add_slide_metadata(nb)
    assert slide_metadata.stale_cells(nb) == []
    nb["cells"][3]["source"] = "Prose, no longer a heading"
    assert slide_metadata.stale_cells(nb) == []  # ### and prose are both subslides
    nb["cells"][3]["source"] = "## Now a section"  # a new section: its stored type goes stale
    assert slide_metadata.stale_cells(nb) == [3]


def test_slide_metadata_keeps_other_slideshow_keys_and_skips_up_to_date_files(tmp_path, capsys):
    nb = copy.deepcopy(NOTEBOOK)
    nb["cells"][1]["metadata"]["slideshow"] = {"slide_type": "fragment", "note": "kept"}
    path = tmp_path / "lesson.ipynb"
    path.write_text(slide_metadata.dumps(nb), encoding="utf-8")
    assert slide_metadata.main(["--check", str(path)]) == 1
    assert "7 cells lack their slide type" in capsys.readouterr().out
    assert slide_metadata.main(["--in-place", str(path)]) == 0
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["cells"][1]["metadata"]["slideshow"] == {"slide_type": "slide", "note": "kept"}
    path.touch()
    before = path.stat().st_mtime_ns
    assert slide_metadata.main(["--in-place", str(path)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert path.stat().st_mtime_ns == before  # not rewritten: no spurious change for git or a running JupyterLab
    assert slide_metadata.main(["--check", str(path)]) == 0


def test_slide_metadata_on_a_lesson_adds_only_slide_types(tmp_path):
    text = LESSON.read_text(encoding="utf-8")
    # written back unchanged, a lesson keeps its bytes: --in-place's diff holds nothing but the slide types
    assert slide_metadata.dumps(json.loads(text)) == text
    copy_path = tmp_path / LESSON.name
    copy_path.write_text(text, encoding="utf-8")
    slide_metadata.main(["--in-place", str(copy_path)])
    written = json.loads(copy_path.read_text(encoding="utf-8"))
    assert slide_metadata.stale_cells(written) == []
    for cell in written["cells"]:
        slideshow = cell["metadata"].pop("slideshow")
        assert slideshow["slide_type"] in {"slide", "subslide", "-", "skip"}
    original = json.loads(text)
    for cell in original["cells"]:
        cell["metadata"].pop("slideshow", None)
    assert written == original


def test_rise_is_pinned_and_serves_its_page_from_the_local_server():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert "jupyterlab-rise" in pins and "jupyterlab-mathjax3" in pins  # its dependency, so the set stays exact
    import jupyterlab_rise

    page = (Path(jupyterlab_rise.__file__).parent / "templates" / "index.html").read_text()
    import re

    sources = re.findall(r"""(?:src|href)=["']([^"']+)""", page)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources


def test_rise_defaults_use_a_theme_whose_fonts_come_with_rise():
    import json5

    settings = json5.loads((ROOT / "tools" / "rise_defaults.json5").read_text())["jupyterlab-rise:plugin"]
    # reveal.js themes that import no Google font (simple, the default, imports two; so do most others)
    assert settings["theme"] in {"white", "black", "serif"}


def test_browser_reads_title_math_and_links_from_the_notebook():
    nb = {"cells": [{"cell_type": "code", "source": "# not a title", "metadata": {}},
                    {"cell_type": "markdown", "source": ["# The title \n", "[![b](https://x.org/b.svg)](https://x.org/nb)"],
                     "metadata": {}},
                    {"cell_type": "markdown", "source": "where $a_t$ is the action", "metadata": {}}]}
    assert browser_smoke.notebook_title(nb) == "The title"
    assert browser_smoke.has_math(nb)
    assert browser_smoke.linked_urls(nb) == {"https://x.org/b.svg", "https://x.org/nb"}
    assert not browser_smoke.has_math({"cells": [{"cell_type": "markdown", "source": "costs $5", "metadata": {}}]})


def test_offline_lets_only_the_local_server_through():
    offline = browser_smoke.Offline("http://127.0.0.1:8888/")
    assert offline.local("http://127.0.0.1:8888/rise/lesson_1/a.ipynb") and offline.local("data:image/png;base64,x")
    assert not offline.local("http://127.0.0.1:88889/x") and not offline.local("https://cdnjs.cloudflare.com/x.js")
    proxy = browser_smoke.Offline.proxy()
    assert proxy["bypass"] == "127.0.0.1" and proxy["server"].startswith("http://127.0.0.1:")


SHOWN = {"slides": 43, "first": "Reinforcement learning and the Gymnasium API¶ Meet the loop", "math": 1, "moved": True}
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


@pytest.mark.parametrize("change,asked,problem", [
    ({}, [], None),
    ({"slides": 0}, [], "showed no slide"),
    ({"first": "Learning objectives"}, [], "does not show the notebook's title"),
    ({"math": 0}, [], "typeset none"),
    ({"moved": False}, [], "did not move"),
    ({}, [("script", "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js")], "must come from the local"),
    ({}, [("stylesheet", "https://fonts.googleapis.com/css?family=Lato")], "must come from the local"),
])
def test_check_slideshow(change, asked, problem):
    shown = dict(SHOWN, **change)
    args = (shown, "Reinforcement learning and the GYMNASIUM API", True, asked, {u for _, u in asked}, {BADGE})
    if problem is None:
        assert browser_smoke.check_slideshow(*args) == []
    else:
        with pytest.raises(browser_smoke.SmokeFailure, match=problem):
            browser_smoke.check_slideshow(*args)


def test_check_slideshow_notes_the_notebooks_own_links_and_catches_a_browser_online():
    notes = browser_smoke.check_slideshow(SHOWN, "Reinforcement learning", True, [("image", BADGE)], {BADGE}, {BADGE})
    assert len(notes) == 1 and BADGE in notes[0]
    with pytest.raises(browser_smoke.SmokeFailure, match="was not offline"):
        browser_smoke.check_slideshow(SHOWN, "Reinforcement learning", True, [("image", BADGE)], set(), {BADGE})


def test_ray_processes_are_told_by_their_command_line_not_by_the_word_ray():
    ray_lines = [
        "ray::IDLE",
        "ray::DashboardAgent",
        "/x/.venv/bin/python -u /x/.venv/lib/python3.11/site-packages/ray/_private/log_monitor.py --session-dir=/tmp/ray/s",
        "/x/.venv/lib/python3.11/site-packages/ray/core/src/ray/raylet/raylet --node_ip_address=127.0.0.1",
        "/x/.venv/lib/python3.11/site-packages/ray/core/src/ray/gcs/gcs_server --gcs_server_port=6379",
        "/x/.venv/bin/python /x/.venv/bin/ray start --head --num-cpus=1",
    ]
    other_lines = [
        "flock /tmp/lock .venv/bin/python -m pytest --nbval lesson_3/4-ray_cluster_and_faults.ipynb",
        "python -m tools.run_notebooks lesson_3/4-ray_cluster_and_faults.ipynb",
        "python -m pytest tests/test_ray_cluster.py",
        "bash -c echo array",
    ]
    assert all(run_notebooks.is_ray_process(line) for line in ray_lines)
    assert not any(run_notebooks.is_ray_process(line) for line in other_lines)
