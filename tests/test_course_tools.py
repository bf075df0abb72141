"""Fast checks of the course's maintenance tools (slides, budgets, browser smoke test); no kernel, no browser."""
import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import browser_smoke, run_notebooks, slide_metadata  # noqa: E402

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
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# NBVAL_RAISES_EXCEPTION\n1/0"),
                                         nbformat.v4.new_code_cell("x = 1  # NBVAL_RAISES_EXCEPTION")])
    run_notebooks._mark_expected_errors(nb)
    assert nb.cells[0].metadata["tags"] == ["raises-exception"]
    assert "tags" not in nb.cells[1].metadata  # nbval only reads the marker as a whole comment line


def test_run_one_writes_fresh_outputs_only_when_asked(tmp_path):
    import nbformat

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
    sources = ["print(1)", "print(2)"]
    if problem is None:
        browser_smoke.check(states, sources)
    else:
        with pytest.raises(browser_smoke.SmokeFailure, match=problem.replace("[", r"\[").replace("]", r"\]")):
            browser_smoke.check(states, sources)


def test_browser_check_allows_marked_errors():
    states = [("[1]:", [("application/vnd.jupyter.stderr", "Traceback (most recent call last):\nValueError")])]
    browser_smoke.check(states, ["# NBVAL_RAISES_EXCEPTION\nraise ValueError"])
