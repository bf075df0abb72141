"""Exercise checks that tell the learner what is wrong, and never break "Restart & Run All".

Each exercise in the course has a stub (it raises ``NotImplementedError``), a check that
compares the answer with RLlib's own result or a known value, and a reference solution that
CI runs through the same check. ``check`` is the shared part: it runs the learner's code,
turns the outcome into one line of feedback, and returns whether the answer passed.
"""
from __future__ import annotations

from typing import Callable


class ExerciseFailed(AssertionError):
    """Raised by ``check(..., strict=True)``: the reference solutions must pass their checks."""


def check(name: str, attempt: Callable[[], None], strict: bool = False) -> bool:
    """Run ``attempt`` (a function that raises AssertionError with a helpful message when wrong).

    Prints ``[not attempted]``, ``[wrong] <why>`` or ``[correct]``. With ``strict=True`` a
    wrong or missing answer raises instead, so a notebook run under nbval fails loudly:
    the reference-solution cells use that.
    """
    try:
        attempt()
    except NotImplementedError:
        message = f"[not attempted] {name}: replace the `raise NotImplementedError` with your code."
        if strict:
            raise ExerciseFailed(message) from None
        print(message)
        return False
    except AssertionError as wrong:
        message = f"[wrong] {name}: {wrong}"
        if strict:
            raise ExerciseFailed(message) from None
        print(message)
        return False
    print(f"[correct] {name}")
    return True
