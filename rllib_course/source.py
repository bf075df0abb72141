"""Reading RLlib's own code in a notebook: ``show_source`` prints what is installed, not a pasted copy.

A copy of library code in a lesson goes stale with the next release. ``inspect`` reads the code
that actually runs, so the lessons print RLlib's functions live, whole or cut to the lines that
matter, under a header that names the file (relative to the package, the same on every machine)
and with the file's own line numbers.
"""
from __future__ import annotations

import inspect


def source_excerpt(obj, start: str | None = None, end: str | None = None) -> str:
    """The source of ``obj`` with line numbers, optionally cut from ``start`` to ``end``.

    ``start``: keep from the first line that contains this text (default: the first line).
    ``end``: keep up to and including the first line at or after ``start`` that contains this
    text (default: the last line). A missing marker raises ``ValueError`` naming it, so a
    lesson notices when a new release moves the code it shows.
    """
    lines, first = inspect.getsourcelines(obj)
    lo, hi = 0, len(lines) - 1
    if start is not None:
        lo = next((i for i, line in enumerate(lines) if start in line), None)
        if lo is None:
            raise ValueError(f"start marker {start!r} not found in the source of {obj.__qualname__}")
    if end is not None:
        hi = next((i for i in range(lo, len(lines)) if end in lines[i]), None)
        if hi is None:
            raise ValueError(f"end marker {end!r} not found in the source of {obj.__qualname__} after {start!r}")
    module = inspect.getmodule(obj)
    file = module.__name__.replace(".", "/") + ("/__init__.py" if hasattr(module, "__path__") else ".py")
    header = f"# {file}, {obj.__qualname__}, lines {first + lo}-{first + hi}"
    width = len(str(first + hi))
    body = [f"{first + i:>{width}}  {lines[i].rstrip()}" for i in range(lo, hi + 1)]
    return "\n".join([header, *body])


def show_source(obj, start: str | None = None, end: str | None = None) -> None:
    """Print ``source_excerpt(obj, start, end)``."""
    print(source_excerpt(obj, start, end))
