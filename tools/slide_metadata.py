"""Give every cell a reveal.js slide type, deterministically, for ``jupyter nbconvert --to slides``.

    python -m tools.slide_metadata --out slides/.src lesson_1/NAME.ipynb ...   # copies (what `make slides` does)
    python -m tools.slide_metadata --in-place lesson_1/NAME.ipynb              # write into the notebooks

Only ``cell.metadata.slideshow.slide_type`` changes: sources, outputs, execution counts and every
other field stay as they are, and running it twice gives the same file.

=====================================================  ===========  =================================
cell                                                   slide_type   in the deck
=====================================================  ===========  =================================
markdown whose first line is a ``#`` or ``##`` heading  slide        a new slide (left to right)
markdown whose first line is a ``###`` heading          subslide     a new slide below (top to bottom)
other markdown (the prose before a code cell)           subslide     a new slide below, with its code
code                                                    ``-``        on the slide of the prose above it
empty cell                                              skip         not shown
=====================================================  ===========  =================================

The course's rhythm (one idea per code cell, prose before each) thus becomes one vertical slide
per idea, with the explanation, the code and its output together.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def slide_type(cell: dict) -> str:
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    if not source.strip():
        return "skip"
    if cell.get("cell_type") != "markdown":
        return "-"
    first = source.strip().splitlines()[0]
    heading = re.match(r"^(#{1,6})\s", first)
    if heading and len(heading.group(1)) <= 2:
        return "slide"
    return "subslide"


def add_slide_metadata(nb: dict) -> dict:
    """Set the slide type of every cell of a notebook (a dict as read by json), in place; return it."""
    for cell in nb.get("cells", []):
        cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = slide_type(cell)
    return nb


def dumps(nb: dict) -> str:
    """JSON as Jupyter writes it (1-space indent, sorted keys, UTF-8, final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(ROOT)
    except ValueError:
        return Path(path.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, help="write copies here, keeping each notebook's path in the repository")
    where.add_argument("--in-place", action="store_true", help="rewrite the notebooks themselves")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        nb = add_slide_metadata(json.loads(path.read_text(encoding="utf-8")))
        target = path if args.in_place else args.out / _relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(nb), encoding="utf-8")
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
