"""Run a lesson notebook with other training seeds: do its claims hold beyond the run stored with it?

    .venv/bin/python -m benchmarks.notebook_seeds lesson_2/1-rl_module.ipynb --seeds 0 1 2 3 4 5
    .venv/bin/python -m benchmarks.notebook_seeds lesson_2/2-learner.ipynb --seeds 0 1 2 3 4 5

A notebook that trains states its claims as ``assert``s, and nbval checks them on one seed only.
Its training seed is set in one place, ``course_ppo_config(seed=0)``; this script puts each seed
there, runs the notebook in memory in a fresh kernel (the file is not changed), and prints, per
seed, whether every cell ran (so every assertion held) or which one failed, then the outputs of the
cells whose results depend on the seed (the cells whose output nbval ignores).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import notebooks

SEED_CALL = re.compile(r"course_ppo_config\(seed=0\)")


def with_seed(nb, seed: int):
    """A copy of ``nb`` whose training seed is ``seed``; ``ValueError`` if the notebook sets no seed there."""
    copy = nbformat.from_dict(nb)
    hits = 0
    for cell in copy.cells:
        if cell.cell_type == "code":
            cell.source, n = SEED_CALL.subn(f"course_ppo_config(seed={seed})", cell.source)
            hits += n
    if hits == 0:
        raise ValueError("the notebook never calls course_ppo_config(seed=0): no training seed to change")
    return copy


def seed_dependent_outputs(nb) -> list[str]:
    """The text outputs of the cells whose output nbval ignores (progress bars left out)."""
    texts = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not notebooks.ignores_output(cell):
            continue
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if output.get("name") == "stderr" or "it/s]" in text or "s/it]" in text:
                continue
            if text.strip() and not text.startswith("<Figure"):
                texts.append(f"[cell {index}]\n{text.rstrip()}")
    return texts


def run(path: Path, seed: int, timeout_s: int) -> tuple[str, list[str], float]:
    nb = with_seed(notebooks.read(path), seed)
    notebooks.mark_expected_errors(nb)  # a cell that raises on purpose is not a broken claim
    client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        status = "every cell ran: all assertions held"
    except CellExecutionError as error:
        status = f"FAILED in cell {notebooks.failed_cell(nb)}: {error.ename}: {error.evalue}"
    return status, seed_dependent_outputs(nb), time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    failures = 0
    for seed in args.seeds:
        status, outputs, seconds = run(args.notebook, seed, args.timeout)
        failures += status.startswith("FAILED")
        print(f"=== {args.notebook} with course_ppo_config(seed={seed}): {status} ({seconds:.0f} s)")
        for text in outputs:
            print(text)
        print(flush=True)
    print(f"{len(args.seeds) - failures} of {len(args.seeds)} seeds: all of the notebook's assertions held")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
