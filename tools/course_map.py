"""Copy the measured run time and memory, and the study time, of each notebook into the README and INSTRUCTORS.md.

    python -m tools.course_map            # rewrite both files from docs/notebook_budgets.md and the notebooks
    python -m tools.course_map --check    # exit 1 and say what differs (the test suite runs this)

``make budgets`` measures every notebook and writes docs/notebook_budgets.md. The README's course
map (its last column, ``69 s, 1.16 GB``) and the per-notebook notes of INSTRUCTORS.md (``Run time
on 2 cores: 69 s, 1.16 GB``) quote the same figures; this script writes them from that table, so a
re-measured notebook is never quoted with its old numbers, and a notebook the table lacks is named.

The study time is the notebook's own estimate, the line ``**Estimated time:** 60 minutes.`` of its
first cell: the README's *study time* column (``60 min``) and the ``**Time:** about 60 minutes``
of INSTRUCTORS.md are written from it, so an estimate changes in one place, the notebook.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools.notebooks import ROOT, lesson_notebooks, relative_path, text

BUDGETS = ROOT / "docs" / "notebook_budgets.md"
README = ROOT / "README.md"
INSTRUCTORS = ROOT / "INSTRUCTORS.md"
BUDGET_ROW = re.compile(r"^\|\s*(lesson_[^|]+?\.ipynb)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*ok\s*\|", re.M)
FIGURE = r"\d+ s,?\s+(?:and\s+)?\d+\.\d\d GB"
ESTIMATE = re.compile(r"\*\*Estimated time:\*\*\s*(?:about\s+)?(\d+)\s*minutes", re.I)


def study_times(root=ROOT) -> dict[str, int]:
    """notebook path -> the minutes its first cell estimates (notebooks without the line are left out)."""
    import json

    times = {}
    for path in lesson_notebooks(root):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        match = ESTIMATE.search(text(cells[0].get("source"))) if cells else None
        if match:
            times[relative_path(path, root)] = int(match.group(1))
    return times


def measured(budgets_text: str) -> dict[str, str]:
    """notebook path -> its figures as the docs quote them, e.g. ``'69 s, 1.16 GB'`` (ok rows only)."""
    return {path: f"{float(wall):.0f} s, {float(gb):.2f} GB" for path, wall, gb in BUDGET_ROW.findall(budgets_text)}


def update_readme(text: str, figures: dict[str, str], minutes: dict[str, int] | None = None) -> str:
    """The course-map row of each notebook (``| [lesson_N/NAME](...) | ... | 45 min | 69 s, 1.16 GB |``) ends
    with its study time (from ``minutes``, when given) and its figures."""
    minutes = minutes or {}

    def row(match):
        path = match.group(2) + ".ipynb"
        study = f"{minutes[path]} min" if path in minutes else match.group(4)
        return match.group(1) + study + " | " + figures.get(path, match.group(5)) + " |"
    return re.sub(r"^(\| \[(lesson_[^\]]+)\]\(.*\| )((\d+ min)) \| (" + FIGURE + r") \|$", row, text, flags=re.M)


def update_instructors(text: str, figures: dict[str, str], minutes: dict[str, int] | None = None) -> str:
    """In each ``### ...: `lesson_N/NAME.ipynb` `` section, the first ``Run time on 2 cores:`` figure and
    the first ``**Time:** about N minutes`` (from ``minutes``, when given)."""
    minutes = minutes or {}
    parts = re.split(r"(?m)^(### .*`(lesson_[^`]+\.ipynb)`.*)$", text)
    out = [parts[0]]
    for heading, path, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        if path in figures:
            body = re.sub(r"(Run time on 2 cores:\s+)" + FIGURE, lambda m: m.group(1) + figures[path], body, count=1)
        if path in minutes:
            body = re.sub(r"(\*\*Time:\*\* about )\d+( minutes)", lambda m: f"{m.group(1)}{minutes[path]}{m.group(2)}",
                          body, count=1)
        out += [heading, body]
    return "".join(out)


def missing(figures: dict[str, str], root=ROOT) -> list[str]:
    """Lesson notebooks that the budget table has no ok row for."""
    return [relative_path(path, root) for path in lesson_notebooks(root) if relative_path(path, root) not in figures]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    figures = measured(BUDGETS.read_text(encoding="utf-8"))
    minutes = study_times()
    status = 0
    for path in missing(figures):
        print(f"{relative_path(BUDGETS)} has no ok measurement of {path}: run make budgets", file=sys.stderr)
        status = 1
    for doc, update in ((README, update_readme), (INSTRUCTORS, update_instructors)):
        old = doc.read_text(encoding="utf-8")
        new = update(old, figures, minutes)
        if new == old:
            continue
        if args.check:
            print(f"{doc.name} quotes other run times than {relative_path(BUDGETS)} or other study times than the "
                  "notebooks: run python -m tools.course_map", file=sys.stderr)
            status = 1
        else:
            doc.write_text(new, encoding="utf-8")
            print(f"{doc.name} updated from {relative_path(BUDGETS)} and the notebooks' estimates")
    return status


if __name__ == "__main__":
    sys.exit(main())
