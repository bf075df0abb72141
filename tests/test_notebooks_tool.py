"""tools/notebooks.py: the one reading of nbval markers, failed cells and the repository URL."""
import itertools
import warnings

import pytest

from tools import notebooks


def _code(source, tags=None):
    return {"cell_type": "code", "metadata": {"tags": tags} if tags is not None else {}, "source": source,
            "outputs": [], "execution_count": None}


SOURCES = [
    "print(1)",
    "# NBVAL_IGNORE_OUTPUT\nprint(1)",
    "  ##  NBVAL_SKIP  \nprint(1)",
    "# NBVAL_RAISES_EXCEPTION\n1 / 0",
    "x = 1  # NBVAL_IGNORE_OUTPUT",            # after code: not a marker
    'print("# NBVAL_RAISES_EXCEPTION")',        # in a string: not a marker
    "# NBVAL_IGNORE_OUTPUT is set below\nx",    # more words on the line: not a marker
    "# PYTEST_VALIDATE_IGNORE_OUTPUT\nx",
    "# NBVAL_CHECK_OUTPUT\nx",
]
TAGS = [None, [], ["nbval-ignore-output"], ["raises-exception"], ["nbval-skip", "other"], ["nbval-check-output"],
        "nbval-skip"]  # the last is not a list: nbval ignores it


@pytest.mark.parametrize("source,tags", list(itertools.product(SOURCES, TAGS)))
def test_options_match_nbval_itself(source, tags):
    """Same answer as nbval's own marker functions, combined the way its collector does (comments win)."""
    plugin = pytest.importorskip("nbval.plugin")
    cell = _code(source, tags)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbval warns about non-list tags and overlapping options
        expected = {"check": True, "check_exception": False, "skip": False}
        expected.update(dict(plugin.find_metadata_tags(cell["metadata"])))
        expected.update(dict(plugin.find_comment_markers(source)))
    assert notebooks.nbval_options(cell) == expected


def test_ignored_and_raising_cells():
    assert notebooks.ignores_output(_code("# NBVAL_IGNORE_OUTPUT\nx"))
    assert notebooks.ignores_output(_code("x", ["nbval-skip"]))
    assert not notebooks.ignores_output(_code("x = 1  # NBVAL_IGNORE_OUTPUT"))
    assert notebooks.may_raise(_code("x", ["raises-exception"]))
    assert not notebooks.may_raise(_code('"NBVAL_RAISES_EXCEPTION"'))


def test_failed_cell_skips_expected_errors():
    error = {"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": []}
    expected = _code("# NBVAL_RAISES_EXCEPTION\nraise ValueError")
    expected["outputs"] = [error]
    broken = _code("raise ValueError")
    broken["outputs"] = [error]
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# T"}, expected, _code("1"), broken]}
    assert notebooks.failed_cell(nb) == 3
    assert notebooks.failed_cell({"cells": nb["cells"][:3]}) is None


def test_urls_come_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[project.urls]\n'
                                             'Repository = "https://github.com/someone/fork/"\n')
    assert notebooks.repository_url(tmp_path) == "https://github.com/someone/fork"
    assert notebooks.colab_url("lesson_1/a.ipynb", tmp_path) == \
        "https://colab.research.google.com/github/someone/fork/blob/main/lesson_1/a.ipynb"
    assert notebooks.setup_spec(tmp_path) == "commenv[course] @ git+https://github.com/someone/fork"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(KeyError, match=r"\[project.urls\] Repository"):
        notebooks.repository_url(tmp_path)


def test_the_course_badges_use_this_repository():
    assert notebooks.colab_url("lesson_1/a.ipynb").endswith("/blob/main/lesson_1/a.ipynb")
    assert notebooks.repository_url().removeprefix("https://github.com/") in notebooks.colab_url("x.ipynb")


def test_lesson_notebooks_in_course_order():
    paths = [notebooks.relative_path(p) for p in notebooks.lesson_notebooks()]
    assert paths == sorted(paths) and all(p.startswith("lesson_") for p in paths)
    assert "lesson_1/1-rl_and_the_gymnasium_api.ipynb" in paths


def test_course_map_quotes_the_measured_figures():
    """README and INSTRUCTORS.md quote the run times of docs/notebook_budgets.md (python -m tools.course_map)."""
    from tools import course_map

    assert course_map.main(["--check"]) == 0


def test_course_map_rewrites_only_the_figures():
    from tools import course_map

    budgets = ("| notebook | wall s | peak memory GB | status |\n|---|---:|---:|---|\n"
               "| lesson_1/a.ipynb | 12.4 | 0.50 | ok |\n| lesson_1/b.ipynb | 200.0 | 2.10 | over time: > 180 s |\n")
    figures = course_map.measured(budgets)
    assert figures == {"lesson_1/a.ipynb": "12 s, 0.50 GB"}  # a failed run is never quoted
    readme = ("| [lesson_1/a](lesson_1/a.ipynb) | learn x | 45 min | 69 s, 1.16 GB |\n"
              "| [lesson_1/b](lesson_1/b.ipynb) | learn y | 45 min | 7 s, 0.10 GB |\n")
    assert course_map.update_readme(readme, figures) == readme.replace("69 s, 1.16 GB", "12 s, 0.50 GB")
    instructors = ("### Lesson 1, notebook 1: `lesson_1/a.ipynb`\n\n- **Time:** Run time on 2 cores: 2 s,\n"
                   "  0.11 GB. Later 3 s, 0.20 GB.\n### Lesson 1, notebook 2: `lesson_1/b.ipynb`\n"
                   "Run time on 2 cores: 6 s, 0.12 GB.\n")
    updated = course_map.update_instructors(instructors, figures)
    assert "Run time on 2 cores: 12 s, 0.50 GB. Later 3 s, 0.20 GB." in updated
    assert "Run time on 2 cores: 6 s, 0.12 GB." in updated  # b has no ok measurement: left as it was


def test_course_map_quotes_the_notebooks_study_times():
    """The study time comes from the notebook's first cell; README and INSTRUCTORS.md quote it."""
    from tools import course_map

    minutes = course_map.study_times()
    assert minutes["lesson_1/1-rl_and_the_gymnasium_api.ipynb"] > 0
    readme = "| [lesson_1/a](lesson_1/a.ipynb) | learn x | 45 min | 69 s, 1.16 GB |\n"
    assert course_map.update_readme(readme, {}, {"lesson_1/a.ipynb": 70}) == readme.replace("45 min", "70 min")
    assert course_map.update_readme(readme, {}, {}) == readme
    instructors = "### Lesson 1, notebook 1: `lesson_1/a.ipynb`\n\n- **Time:** about 45 minutes. Run time on 2 cores: 2 s, 0.11 GB.\n"
    updated = course_map.update_instructors(instructors, {"lesson_1/a.ipynb": "3 s, 0.20 GB"}, {"lesson_1/a.ipynb": 70})
    assert "**Time:** about 70 minutes. Run time on 2 cores: 3 s, 0.20 GB." in updated
