"""Run each lesson notebook in a fresh kernel and measure its wall time and peak memory.

    python -m tools.run_notebooks                       # every lesson_*/*.ipynb -> docs/notebook_budgets.md
    python -m tools.run_notebooks lesson_1/X.ipynb --output /tmp/budget.md --timeout 300

``make budgets`` runs the first form. The notebooks are executed in memory (the files are not
changed unless ``--write`` is given: then each notebook that ran cleanly is saved with its fresh
outputs, as ``jupyter nbconvert --execute --inplace`` would), each in a new kernel of the Python that runs this tool (``.venv``), with the notebook's
folder as the working directory, like nbval and JupyterLab.

Memory is sampled every 0.25 s and summed over the kernel process, all its descendants, and the
Ray processes that belong to its run but were re-parented (Ray's agents outlive the raylet that
started them; workers rename themselves ``ray::...``). A process counts as part of the run when

* it is, or once was, a descendant of the kernel; or
* it started after the notebook began, its command line mentions ``ray``, and it names the Ray
  session of this run (``session_<date>_<pid>``) or carries this run's environment marker; a ``ray``
  process that names no session at all counts when no other Ray session started meanwhile (on a
  shared machine another user's Ray would otherwise be counted; the report says how many were left out).

The sum is of PSS (proportional set size: shared pages are split between the processes that share
them, so the sum is what the run costs the machine) when Linux provides it, otherwise of RSS, which
counts shared libraries once per process and so over-states; the table says which was used.

Exit status 1 when a notebook fails, runs longer than ``--timeout`` seconds (default 180) or peaks
above ``--max-memory-gb`` (default 2.0): the course's budget on a 2-core machine (mybinder.org's limit).
Measure on an idle machine: the table's header records the load average seen at the start.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import re
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from tools import notebooks
from tools.notebooks import ROOT

DEFAULT_OUTPUT = ROOT / "docs" / "notebook_budgets.md"
RUN_MARKER = "COURSE_BUDGET_RUN"
SESSION = re.compile(r"session_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d+_\d+")
# A Ray process by its command line: a worker renamed "ray::...", a program or script under a "ray"
# folder (site-packages/ray/..., raylet, gcs_server), or the `ray` command itself. The word "ray" alone is
# not enough: `pytest lesson_3/4-ray_cluster_and_faults.ipynb` is no Ray process.
RAY_PROCESS = re.compile(r"^ray::|[/\\]ray[/\\]|(?:^|[/\\\s])(?:raylet|gcs_server|ray)(?:\s|$)")


def is_ray_process(cmdline: str) -> bool:
    """True for the command line of a process that Ray started (or the ``ray`` command line tool)."""
    return bool(RAY_PROCESS.search(cmdline))


GB = 10 ** 9  # decimal gigabytes: the stricter reading of a "2 GB" budget (2 GiB would allow 7% more)


@dataclass
class Measurement:
    notebook: str
    wall_s: float = 0.0
    peak_bytes: int = 0
    status: str = "ok"
    measure: str = "PSS"
    processes: int = 0
    excluded: int = 0
    leftovers: int = 0

    @property
    def peak_gb(self) -> float:
        return self.peak_bytes / GB


class Sampler(threading.Thread):
    """Sums the memory of the run's processes every ``interval`` seconds and keeps the peak."""

    def __init__(self, interval: float, run_id: str, deadline_s: float, on_deadline):
        super().__init__(daemon=True)
        self.interval, self.run_id = interval, run_id
        self.deadline_s, self.on_deadline = deadline_s, on_deadline
        self.me = psutil.Process()
        self.t0 = time.time()
        self.stop_event = threading.Event()
        self.ours: dict[int, psutil.Process] = {}        # pid -> Process (create_time guards pid reuse)
        self.sessions: set[str] = set()
        self.foreign_sessions: set[str] = set()
        self.excluded: set[int] = set()
        self.peak = 0
        self.used_rss = 0
        self.used_pss = 0
        self.fired = False
        self.seen: set[int] = set()

    def _cmdline(self, proc) -> str:
        try:
            return " ".join(proc.cmdline())
        except (psutil.Error, OSError):
            return ""

    def _has_marker(self, proc) -> bool:
        try:
            return proc.environ().get(RUN_MARKER) == self.run_id
        except (psutil.Error, OSError):
            return False

    def _collect(self):
        try:
            tree = self.me.children(recursive=True)
        except psutil.Error:
            tree = []
        for proc in tree:
            if proc.pid not in self.ours:
                self.ours[proc.pid] = proc
                self.sessions.update(SESSION.findall(self._cmdline(proc)))
        ambiguous = []
        for proc in psutil.process_iter(["pid", "create_time"]):
            pid = proc.info["pid"]
            if pid in self.ours or pid in self.excluded or pid == self.me.pid:
                continue
            if (proc.info["create_time"] or 0) < self.t0 - 1:
                continue
            cmd = self._cmdline(proc)
            if not is_ray_process(cmd):
                continue
            named = set(SESSION.findall(cmd))
            if (named & self.sessions) or self._has_marker(proc):
                self.ours[pid] = proc
            elif named:
                self.foreign_sessions |= named - self.sessions
                self.excluded.add(pid)
            else:
                ambiguous.append(proc)
        for proc in ambiguous:
            if self.foreign_sessions:
                self.excluded.add(proc.pid)
            else:
                self.ours[proc.pid] = proc

    def sample(self) -> int:
        self._collect()
        total = 0
        for pid, proc in list(self.ours.items()):
            try:
                if not proc.is_running():
                    del self.ours[pid]
                    continue
                try:
                    total += proc.memory_full_info().pss
                    self.used_pss += 1
                except (psutil.AccessDenied, AttributeError):
                    total += proc.memory_info().rss
                    self.used_rss += 1
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                self.ours.pop(pid, None)
        self.peak = max(self.peak, total)
        return total

    def alive(self) -> list[psutil.Process]:
        return [p for p in self.ours.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    def run(self):
        while not self.stop_event.is_set():
            self.sample()
            self.seen |= set(self.ours)
            if not self.fired and time.time() - self.t0 > self.deadline_s:
                self.fired = True
                self.on_deadline()
            self.stop_event.wait(self.interval)


def _kernel_pid(client) -> int | None:
    """The kernel's pid from jupyter_client's provisioner, else this process's only child."""
    provisioner = getattr(getattr(client, "km", None), "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None), "pid", None)
    if pid is None:
        children = psutil.Process().children()
        pid = children[0].pid if len(children) == 1 else None
    return pid


def run_one(path: Path, timeout_s: float, interval: float, kernel_name: str, write: bool = False) -> Measurement:
    rel = notebooks.relative_path(path)
    result = Measurement(rel)
    nb = notebooks.read(path)
    marked = notebooks.mark_expected_errors(nb)
    run_id = uuid.uuid4().hex
    os.environ[RUN_MARKER] = run_id  # inherited by the kernel and every process it starts
    client = NotebookClient(nb, timeout=int(timeout_s) + 30, kernel_name=kernel_name, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    timed_out = threading.Event()

    def on_deadline():
        timed_out.set()
        pid = _kernel_pid(client)
        if pid:  # interrupt first (RLlib's silent CPU wait only stops on SIGINT), then kill
            os.kill(pid, signal.SIGINT)
            threading.Timer(10, lambda: psutil.pid_exists(pid) and os.kill(pid, signal.SIGKILL)).start()

    sampler = Sampler(interval, run_id, timeout_s, on_deadline)
    start = time.perf_counter()
    sampler.start()
    try:
        client.execute()
    except CellExecutionError as error:
        cell = notebooks.failed_cell(client.nb)
        result.status = f"error in cell {'?' if cell is None else cell}: {error.ename}: {str(error.evalue)[:80]}"
    except CellTimeoutError:
        result.status = "timeout"
    except DeadKernelError:
        result.status = "kernel died" + (" (killed at the time limit)" if timed_out.is_set() else "")
    except Exception as error:  # noqa: BLE001  (a kernel that fails to start, a bad notebook file)
        result.status = f"failed: {type(error).__name__}: {str(error)[:80]}"
    finally:
        result.wall_s = time.perf_counter() - start
        sampler.stop_event.set()
        sampler.join()
        os.environ.pop(RUN_MARKER, None)
    if timed_out.is_set() or result.wall_s > timeout_s:
        result.status = f"over time: > {timeout_s:.0f} s" + ("" if result.status == "ok" else f" ({result.status})")
    result.peak_bytes = sampler.peak
    result.processes = len(sampler.seen)
    result.excluded = len(sampler.excluded)
    result.measure = "PSS" if not sampler.used_rss else ("RSS" if not sampler.used_pss else "PSS+RSS")
    result.leftovers = _reap(sampler)
    if write and result.status == "ok":
        notebooks.unmark(marked)
        nbformat.write(client.nb, path)
    return result


def _reap(sampler: Sampler, grace_s: float = 15.0) -> int:
    """Wait for the run's processes to exit after the kernel stopped; end the ones left (by pid)."""
    deadline = time.time() + grace_s
    while time.time() < deadline:
        left = [p for p in sampler.ours.values() if _alive(p)]
        if not left:
            return 0
        time.sleep(0.5)
    left = [p for p in sampler.ours.values() if _alive(p)]
    for proc in left:
        try:
            proc.kill()
        except psutil.Error:
            pass
    return len(left)


def _alive(proc) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPUs ({cpu}), {psutil.virtual_memory().total / GB:.1f} GB RAM, {platform.system()}"


def _versions() -> str:
    out = [f"Python {platform.python_version()}"]
    for name in ("ray", "torch"):
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def markdown_table(results, timeout_s, max_gb, load_before) -> str:
    measures = sorted({r.measure for r in results}) or ["PSS"]
    lines = [
        "# Notebook budgets",
        "",
        "Measured by `make budgets` (`python -m tools.run_notebooks`): each notebook in a fresh kernel,",
        f"top to bottom. Budget: at most {timeout_s:.0f} s of wall time and {max_gb:g} GB of peak memory,",
        "summed over the kernel and every Ray process it starts, sampled every 0.25 s "
        f"(memory measure: {', '.join(measures)}).",
        "",
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {_machine()}",
        f"- load average (1, 5, 15 min) at the start: {', '.join(f'{x:.2f}' for x in load_before)}"
        " (a load well above 0 means other work shared the CPUs and the times are inflated)",
        f"- software: {_versions()}",
        "",
        "| notebook | wall s | peak memory GB | status |",
        "|---|---:|---:|---|",
    ]
    for r in results:
        status = r.status
        extra = []
        if r.measure != "PSS":
            extra.append(f"memory as {r.measure}")
        if r.excluded:
            extra.append(f"{r.excluded} other Ray processes left out")
        if r.leftovers:
            extra.append(f"{r.leftovers} processes still running after the kernel stopped")
        if extra:
            status += " (" + "; ".join(extra) + ")"
        lines.append(f"| {r.notebook} | {r.wall_s:.1f} | {r.peak_gb:.2f} | {status} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: lesson_*/*.ipynb")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per notebook (default 180)")
    parser.add_argument("--max-memory-gb", type=float, default=2.0, help="peak memory budget (default 2.0)")
    parser.add_argument("--interval", type=float, default=0.25, help="sampling interval in seconds")
    parser.add_argument("--kernel", default="python3", help="kernel name (default python3: this Python)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT),
                        help="Markdown file for the table (default docs/notebook_budgets.md; '-' for none)")
    parser.add_argument("--write", action="store_true",
                        help="save each notebook that ran cleanly with its fresh outputs (like nbconvert --inplace)")
    args = parser.parse_args(argv)
    paths = args.notebooks or notebooks.lesson_notebooks()
    if not paths:
        print("no notebooks to run")
        return 0
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    results = []
    for path in paths:
        print(f"running {notebooks.relative_path(path)} ...", file=sys.stderr, flush=True)
        r = run_one(path, args.timeout, args.interval, args.kernel, write=args.write)
        if r.status == "ok" and r.peak_gb > args.max_memory_gb:
            r.status = f"over memory: > {args.max_memory_gb:g} GB"
        elif r.peak_gb > args.max_memory_gb:
            r.status += f"; over memory: > {args.max_memory_gb:g} GB"
        print(f"  {r.wall_s:.1f} s, {r.peak_gb:.2f} GB ({r.measure}, {r.processes} processes): {r.status}",
              file=sys.stderr, flush=True)
        results.append(r)
    table = markdown_table(results, args.timeout, args.max_memory_gb, load_before)
    print(table)
    if args.output != "-":
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table, encoding="utf-8")
        print(f"written to {notebooks.relative_path(out) if out.is_absolute() else out}", file=sys.stderr)
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
