"""Starting Ray on a small machine: quiet, never more CPUs than there are, retried when slow.

RLlib waits forever, without a word, for CPUs that Ray does not have, so every notebook asks
Ray for what exists and configures at most that many EnvRunners. A raylet that takes longer
than Ray's 30 s to start on a busy machine is retried here, for ``start_ray`` and for the
local cluster of ``rllib_course.cluster`` alike.
"""
from __future__ import annotations

import logging
import os
from typing import Callable, TypeVar

STARTUP_ATTEMPTS = 3
OBJECT_STORE_BYTES = 100 * 1024 * 1024  # shared-memory object store per node; RLlib needs little here
T = TypeVar("T")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which containers and ``taskset`` narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def with_startup_retries(start: Callable[[], T], cleanup: Callable[[], None],
                         attempts: int = STARTUP_ATTEMPTS) -> T:
    """Call ``start()``; when Ray reports a startup timeout, ``cleanup()`` and try again.

    Any other error, or a timeout on the last attempt, is raised after ``cleanup()``, so a
    failed start never leaves half a Ray session behind.
    """
    for attempt in range(1, attempts + 1):
        try:
            return start()
        except Exception as error:
            cleanup()
            if "timed out during startup" not in str(error) or attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def start_ray(num_cpus: int | None = None) -> int:
    """Start Ray quietly with at most 2 CPUs (never more than the machine has); return the CPUs given."""
    import ray
    import torch

    import commenv.rllib

    torch.set_num_threads(1)
    logging.getLogger("ray.rllib").setLevel(logging.ERROR)
    available = available_cpus()
    num_cpus = min(2, available) if num_cpus is None else num_cpus
    if not (isinstance(num_cpus, int) and not isinstance(num_cpus, bool) and 1 <= num_cpus <= available):
        raise ValueError(f"num_cpus={num_cpus!r} must be an integer in [1, {available}] (this machine's CPUs)")
    if not ray.is_initialized():
        with_startup_retries(
            lambda: ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level=logging.ERROR,
                             log_to_driver=False, object_store_memory=OBJECT_STORE_BYTES),
            ray.shutdown)
    # Tune's registry hands names to the Ray session that is running (or to the next one): after a
    # ray.shutdown() and a new start in the same process, comm_env must be registered again.
    commenv.rllib.register()
    return int(ray.cluster_resources().get("CPU", num_cpus))
