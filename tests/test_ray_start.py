"""The quiet Ray start: CPUs checked, slow starts retried, other errors raised, comm_env kept across restarts."""
import importlib.util
import os

import pytest

from rllib_course.ray_start import STARTUP_ATTEMPTS, available_cpus, with_startup_retries

TIMEOUT = "The current node timed out during startup. ..."


def test_a_startup_timeout_is_cleaned_up_and_retried():
    events = []

    def start():
        events.append("start")
        if events.count("start") == 1:
            raise RuntimeError(TIMEOUT)
        return "session"

    assert with_startup_retries(start, lambda: events.append("cleanup")) == "session"
    assert events == ["start", "cleanup", "start"]


def test_the_last_timeout_is_raised_after_cleanup():
    events = []

    def start():
        events.append("start")
        raise RuntimeError(TIMEOUT)

    with pytest.raises(RuntimeError, match="timed out during startup"):
        with_startup_retries(start, lambda: events.append("cleanup"))
    assert events == ["start", "cleanup"] * STARTUP_ATTEMPTS


def test_other_errors_are_not_retried():
    events = []

    def start():
        events.append("start")
        raise ValueError("port 6379 in use")

    with pytest.raises(ValueError, match="port 6379 in use"):
        with_startup_retries(start, lambda: events.append("cleanup"))
    assert events == ["start", "cleanup"]


def test_available_cpus_follows_the_affinity_mask():
    assert available_cpus() == len(os.sched_getaffinity(0))


needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs ray (the rllib extra)")


@needs_ray
def test_start_ray_refuses_more_cpus_than_the_machine_has():
    from rllib_course.ray_start import start_ray

    too_many = available_cpus() + 1
    with pytest.raises(ValueError, match=rf"num_cpus={too_many} must be an integer in \[1, {too_many - 1}\]"):
        start_ray(num_cpus=too_many)


@needs_ray
def test_start_ray_retries_through_ray_init(monkeypatch):
    import ray

    import rllib_course.ray_start as ray_start

    calls = []

    def slow_then_fine(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise Exception(TIMEOUT)

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", slow_then_fine)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 1.0})
    assert ray_start.start_ray(num_cpus=1) == 1
    assert len(calls) == 2, "one failed start, one successful retry"
    assert calls[-1]["num_cpus"] == 1 and calls[-1]["log_to_driver"] is False


@needs_ray
def test_comm_env_survives_a_ray_restart_in_the_same_process():
    """Tune's registry belongs to one Ray session: start_ray registers comm_env again for the next one."""
    import ray
    from ray.tune.registry import ENV_CREATOR, _global_registry

    from rllib_course.ray_start import start_ray

    ray.shutdown()
    start_ray(1)
    ray.shutdown()
    start_ray(1)
    try:
        assert _global_registry.contains(ENV_CREATOR, "comm_env")
    finally:
        ray.shutdown()
