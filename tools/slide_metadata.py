"""Give every cell a reveal.js slide type, deterministically, so that RISE can present the notebook.

    python -m tools.slide_metadata --in-place lesson_1/NAME.ipynb ...       # write into the notebooks (make slide-metadata)
    python -m tools.slide_metadata --check lesson_1/NAME.ipynb ...          # exit 1 if a cell lacks its type
    python -m tools.slide_metadata --out DIR lesson_1/NAME.ipynb ...        # annotated copies, to try RISE on

RISE (the ``jupyterlab-rise`` extension, installed by ``make lab``) reads ``cell.metadata.slideshow.slide_type``
from the notebook itself, so the types must be stored in the lesson notebooks. Only that key changes:
sources, outputs, execution counts, every other field (other ``slideshow`` keys too) stay as they are,
a notebook that already has the types is not rewritten, and running it twice gives the same file.

=====================================================  ===========  =================================
cell                                                   slide_type   in the slideshow
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

from tools.notebooks import ROOT


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


def stale_cells(nb: dict) -> list[int]:
    """Indices of the cells whose stored slide type is missing or not the one ``slide_type`` gives.

    The notebook shape gate can require ``stale_cells(nb) == []``: RISE shows a notebook without the
    types as one long slide, and the types go stale when a cell's heading changes.
    """
    return [i for i, cell in enumerate(nb.get("cells", []))
            if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") != slide_type(cell)]


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
    where.add_argument("--in-place", action="store_true", help="rewrite the notebooks whose slide types are not stored yet")
    where.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook lacks a slide type")
    args = parser.parse_args(argv)
    stale = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = stale_cells(nb)
        if args.check:
            if cells:
                stale += 1
                first = ", ".join(map(str, cells[:5])) + (", ..." if len(cells) > 5 else "")
                print(f"{path}: {len(cells)} cells lack their slide type (cells {first}); "
                      f"python -m tools.slide_metadata --in-place {path}")
            continue
        if args.in_place and not cells:
            print(f"{path}: unchanged")
            continue
        target = path if args.in_place else args.out / _relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dumps(add_slide_metadata(nb)), encoding="utf-8")
        print(f"{target}: {len(cells)} cells given their slide type" if args.in_place else target)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
