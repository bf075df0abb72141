"""Reading lesson notebooks, the one way every course tool does it.

The shape gate (``tools.notebook_shape``), the budget runner (``tools.run_notebooks``), the browser
test (``tools.browser_smoke``), the slide metadata writer and the seed benchmark
(``benchmarks.notebook_seeds``) all need the same few facts about a notebook: where the lessons are,
which cells nbval ignores or expects to raise, which cell failed in a run, and which repository the
Colab badge and the setup cell point to. They are answered here once, so that the tools cannot
disagree.

nbval markers follow nbval 0.11's own rule (``nbval/plugin.py``): a marker is a comment line whose
text after the ``#`` signs is exactly the marker name, or a cell tag (the name in lower case, ``_``
written ``-``, plus ``raises-exception``). When a comment and a tag set the same option, the
comment wins. ``NBVAL_IGNORE_OUTPUT`` inside a string or after code on the same line is not a marker.

The repository URL lives in one place, ``[project.urls] Repository`` of ``pyproject.toml``; the
badge link and the Colab install line are derived from it.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# nbval 0.11: comment marker -> (option, value). The option "check" is on by default under --nbval.
NBVAL_COMMENT_MARKERS = {
    "PYTEST_VALIDATE_IGNORE_OUTPUT": ("check", False),
    "NBVAL_IGNORE_OUTPUT": ("check", False),
    "NBVAL_CHECK_OUTPUT": ("check", True),
    "NBVAL_RAISES_EXCEPTION": ("check_exception", True),
    "NBVAL_SKIP": ("skip", True),
}
NBVAL_TAGS = {name.lower().replace("_", "-"): option for name, option in NBVAL_COMMENT_MARKERS.items()}
NBVAL_TAGS["raises-exception"] = ("check_exception", True)
# The tag nbclient itself knows: a cell with it may raise while the notebook still runs on.
NBCLIENT_RAISES_TAG = "raises-exception"


def read(path):
    """The notebook at ``path`` as an ``nbformat`` v4 node (a dict whose keys also read as attributes)."""
    import nbformat  # imported here: the shape gate also runs where only the standard library is installed

    return nbformat.read(str(path), as_version=4)


def text(source) -> str:
    """A cell's source or an output's text: nbformat stores either a string or a list of lines."""
    return "".join(source) if isinstance(source, list) else (source or "")


def comment_markers(source) -> set[str]:
    """The nbval marker names written as comment lines in a cell's source."""
    found = set()
    for line in text(source).splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() in NBVAL_COMMENT_MARKERS:
            found.add(line.lstrip("#").strip())
    return found


def tags(cell) -> set[str]:
    """A cell's tags (nbval ignores tags that are not a list, and so does this)."""
    value = cell.get("metadata", {}).get("tags", [])
    return set(value) if isinstance(value, list) else set()


def nbval_options(cell) -> dict[str, bool]:
    """What nbval does with a code cell: ``check`` its output, expect an exception, ``skip`` it."""
    options = {"check": True, "check_exception": False, "skip": False}
    for tag in sorted(tags(cell) & NBVAL_TAGS.keys()):
        option, value = NBVAL_TAGS[tag]
        options[option] = value
    for marker in sorted(comment_markers(cell.get("source"))):  # comments override tags, as in nbval
        option, value = NBVAL_COMMENT_MARKERS[marker]
        options[option] = value
    return options


def ignores_output(cell) -> bool:
    """nbval runs the cell but does not compare its output with the stored one (or skips the cell)."""
    options = nbval_options(cell)
    return options["skip"] or not options["check"]


def may_raise(cell) -> bool:
    """nbval expects this cell to raise: its stored error is part of the lesson."""
    return nbval_options(cell)["check_exception"]


def mark_expected_errors(nb) -> list:
    """Tag with ``raises-exception`` every code cell nbval expects to raise, so nbclient runs on past it.

    Returns the cells that got the tag here, so that a caller who saves the notebook can take it off.
    """
    marked = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and may_raise(cell) and NBCLIENT_RAISES_TAG not in tags(cell):
            cell.setdefault("metadata", {}).setdefault("tags", []).append(NBCLIENT_RAISES_TAG)
            marked.append(cell)
    return marked


def unmark(cells) -> None:
    """Undo ``mark_expected_errors`` on the cells it returned."""
    for cell in cells:
        cell["metadata"]["tags"].remove(NBCLIENT_RAISES_TAG)
        if not cell["metadata"]["tags"]:
            del cell["metadata"]["tags"]


def failed_cell(nb) -> int | None:
    """Index of the first code cell holding an error output it was not expected to raise, else None."""
    for index, cell in enumerate(nb["cells"]):
        if (cell.get("cell_type") == "code" and not may_raise(cell)
                and any(output.get("output_type") == "error" for output in cell.get("outputs", []))):
            return index
    return None


def lesson_notebooks(root=ROOT) -> list[Path]:
    """Every lesson notebook, in course order (lesson_1/1-..., lesson_1/2-..., lesson_2/1-...)."""
    return sorted(Path(root).glob("lesson_*/*.ipynb"))


def relative_path(path, root=ROOT) -> str:
    """``path`` inside the repository, with ``/``; a file outside it is named by its file name."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.name


def repository_url(root=ROOT) -> str:
    """``[project.urls] Repository`` from pyproject.toml, without a trailing slash."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover  (the course runs on 3.11+; tomli is the same parser for 3.10)
        import tomli as tomllib
    with open(Path(root) / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    try:
        return project["urls"]["Repository"].rstrip("/")
    except KeyError:
        raise KeyError("pyproject.toml has no [project.urls] Repository: the badges and the Colab setup "
                       "cells are derived from it") from None


def colab_url(rel_path: str, root=ROOT) -> str:
    """The 'Open in Colab' link of the notebook at ``rel_path`` (a GitHub repository URL is assumed)."""
    github = repository_url(root).removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github}/blob/main/{rel_path.replace(chr(92), '/')}"


def setup_spec(root=ROOT) -> str:
    """What a notebook's Colab setup cell installs: the course's own extra, from the repository."""
    return f"commenv[course] @ git+{repository_url(root)}"
