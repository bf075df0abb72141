"""An EnvRunner that dies: kill one on purpose, read what RLlib logs, train until RLlib has it back.

RLlib's fault tolerance on the new stack has two halves. Ray restarts a dead actor when it was
created with ``max_restarts > 0`` (``EnvRunnerGroup`` passes ``max_num_env_runner_restarts`` when
``restart_failed_env_runners`` is on, else 0). RLlib, before every training step, pings the
EnvRunners it marked unhealthy (``Algorithm.restore_env_runners``); one that answers again is
marked healthy and gets the current state, weights included. These helpers drive that from a
notebook without private attributes: the actor handle comes from inside the EnvRunner itself.
"""
from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager


def env_runner_handles(algo) -> dict:
    """``{EnvRunner id: (actor handle, process id)}`` of the healthy remote EnvRunners, asked of each EnvRunner."""
    import ray

    group = algo.env_runner_group
    ids = group.healthy_env_runner_ids()
    found = group.foreach_env_runner(lambda runner: (ray.get_runtime_context().current_actor, os.getpid()),
                                     local_env_runner=False, remote_worker_ids=ids)
    return dict(zip(ids, found))


def kill_env_runner(algo, runner_id: int, allow_restart: bool = True) -> int:
    """Kill EnvRunner ``runner_id`` of ``algo`` with ``ray.kill``; return the process id it had.

    ``allow_restart=True`` is ``ray.kill(..., no_restart=False)``: the actor dies as in a crash, and Ray
    may restart it (if it was created with ``max_restarts > 0``). ``ray.kill``'s default,
    ``no_restart=True``, forbids the restart, so RLlib would never get that EnvRunner back.
    """
    import ray

    handles = env_runner_handles(algo)
    if runner_id not in handles:
        raise ValueError(f"runner_id={runner_id!r} is not a healthy remote EnvRunner; healthy: {sorted(handles)}")
    handle, pid = handles[runner_id]
    ray.kill(handle, no_restart=not allow_restart)
    return pid


def train_until_healthy(algo, num_env_runners: int, timeout_s: float = 120.0) -> list[dict]:
    """Call ``algo.train()`` until its result reports ``num_env_runners`` healthy EnvRunners; return the results.

    Raises ``TimeoutError`` (with the counters of the last result) when that takes longer than ``timeout_s``.
    """
    results, deadline = [], time.monotonic() + timeout_s
    while True:
        results.append(algo.train())
        counters = results[-1]["fault_tolerance"]
        if counters["num_healthy_workers"] >= num_env_runners:
            return results
        if time.monotonic() > deadline:
            raise TimeoutError(f"after {len(results)} iterations RLlib still reports {counters}")


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def recorded_rllib_errors():
    """Collect the ERROR records of RLlib's loggers in a list instead of printing them (with times and ids).

    ``with recorded_rllib_errors() as records: ...``; each record has ``.name`` (the logger, e.g.
    ``ray.rllib.utils.actor_manager``), ``.getMessage()`` and ``.exc_info`` (the exception that
    ``logger.exception`` attached, or None). RLlib gives its logger ``ray.rllib`` a stream handler of
    its own when it is imported (``ray/rllib/__init__.py``, ``_setup_logger``), so that handler is
    taken off for the block and put back afterwards, with the logger's ``propagate``.
    """
    logger = logging.getLogger("ray.rllib")
    recorder, propagate, handlers = _Recorder(), logger.propagate, list(logger.handlers)
    for handler in handlers:
        logger.removeHandler(handler)
    logger.addHandler(recorder)
    logger.propagate = False
    try:
        yield recorder.records
    finally:
        logger.removeHandler(recorder)
        for handler in handlers:
            logger.addHandler(handler)
        logger.propagate = propagate


@contextmanager
def captured_native_stderr():
    """Collect what Ray's C++ core writes straight to file descriptor 2 while the block runs, as a list of lines.

    Ray's core worker (the C++ part of every Ray process, the driver's included) logs to the process's
    stderr itself, past Python's ``sys.stderr`` and ``logging``; in Jupyter that output lands in the
    cell. The block points descriptor 2 at a temporary file and restores it afterwards; the list is
    filled when the block ends.
    """
    import sys
    import tempfile

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    lines: list[str] = []
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode(errors="replace").splitlines())


def native_message(line: str) -> str:
    """A C++ log line without its prefix (``[time level pid tid] file.cc:line: ``) and with actor ids cut out."""
    import re

    line = re.sub(r"^\[[^\]]*\]\s*", "", line.strip())
    line = re.sub(r"^[\w./-]+\.cc:\d+:\s*", "", line)
    return re.sub(r"\b[0-9a-f]{32,}\b", "<actor id>", line)


def first_line(record) -> str:
    """The first line of a log record's message, with actor ids (32 or more hex digits) cut out."""
    import re

    line = record.getMessage().strip().splitlines()[0]
    return re.sub(r"\b[0-9a-f]{32,}\b", "<actor id>", line)
