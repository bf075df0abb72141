"""show_source: prints installed code with its real line numbers, and fails loudly when a marker moves."""
import inspect

import pytest

from commenv import metrics
from rllib_course.source import show_source, source_excerpt


def test_whole_function_has_header_and_real_line_numbers():
    text = source_excerpt(metrics.jain_fairness)
    lines, first = inspect.getsourcelines(metrics.jain_fairness)
    out = text.splitlines()
    assert out[0] == f"# commenv/metrics.py, jain_fairness, lines {first}-{first + len(lines) - 1}"
    assert out[1].split()[0] == str(first) and "def jain_fairness" in out[1]
    assert len(out) == len(lines) + 1


def test_a_package_is_named_by_its_init_file(tmp_path, monkeypatch):
    (tmp_path / "demo_pkg").mkdir()
    (tmp_path / "demo_pkg" / "__init__.py").write_text("def helper():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import demo_pkg

    assert source_excerpt(demo_pkg.helper).splitlines()[0] == "# demo_pkg/__init__.py, helper, lines 1-2"
    assert source_excerpt(metrics.jain_fairness).startswith("# commenv/metrics.py,")


def test_cut_between_markers_is_inclusive():
    text = source_excerpt(metrics.evaluate, start="runs = [", end="delivered = ")
    body = text.splitlines()[1:]
    assert "runs = [" in body[0] and "delivered = " in body[-1]
    assert len(body) == 3  # runs, steps, delivered


def test_methods_are_named_by_qualname():
    class Demo:
        def method(self):
            return 1

    assert "Demo.method" in source_excerpt(Demo.method).splitlines()[0]


@pytest.mark.parametrize("kwargs, missing", [({"start": "no such line"}, "start"), ({"end": "no such line"}, "end")])
def test_missing_marker_names_itself(kwargs, missing):
    with pytest.raises(ValueError, match=f"{missing} marker 'no such line'"):
        source_excerpt(metrics.jain_fairness, **kwargs)


def test_show_source_prints(capsys):
    show_source(metrics.jain_fairness, start="total_sq", end="return")
    out = capsys.readouterr().out
    assert out.startswith("# commenv/metrics.py, jain_fairness, lines ") and out.rstrip().endswith("total_sq))")
