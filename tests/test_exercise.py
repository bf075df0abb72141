import pytest

from rllib_course.exercise import ExerciseFailed, check


def _missing():
    raise NotImplementedError


def _wrong():
    raise AssertionError("1 + 1 should be 3 in this example")


def test_outcomes_are_reported_in_one_line(capsys):
    assert check("ok", lambda: None) is True
    assert check("stub", _missing) is False
    assert check("bad", _wrong) is False
    out = capsys.readouterr().out.splitlines()
    assert out == ["[correct] ok", "[not attempted] stub: replace the `raise NotImplementedError` with your code.",
                   "[wrong] bad: 1 + 1 should be 3 in this example"]


def test_strict_mode_fails_loudly_for_reference_solutions():
    with pytest.raises(ExerciseFailed, match="not attempted"):
        check("stub", _missing, strict=True)
    with pytest.raises(ExerciseFailed, match="should be 3"):
        check("bad", _wrong, strict=True)
