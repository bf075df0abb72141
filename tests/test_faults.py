"""rllib_course.faults and fault_check: killing an EnvRunner by its own handle, training until RLlib has it back,
RLlib's error logs collected instead of printed, and the exercise check. Stand-ins replace Ray and the Algorithm."""
import logging

import pytest

ray = pytest.importorskip("ray")

from rllib_course import faults  # noqa: E402
from rllib_course.exercise import ExerciseFailed  # noqa: E402
from rllib_course.fault_check import MADE_UP, check_outage_report, reference_outage_report  # noqa: E402


class _Group:
    def __init__(self, ids=(1, 2)):
        self.ids = list(ids)

    def healthy_env_runner_ids(self):
        return self.ids

    def foreach_env_runner(self, func, local_env_runner, remote_worker_ids):
        assert not local_env_runner
        return [(f"handle-{i}", 100 + i) for i in remote_worker_ids]


class _Algo:
    def __init__(self, healthy_per_train=()):
        self.env_runner_group = _Group()
        self.healthy = list(healthy_per_train)

    def train(self):
        return {"fault_tolerance": {"num_healthy_workers": self.healthy.pop(0)}}


def test_kill_uses_the_runner_s_own_handle_and_allows_a_restart(monkeypatch):
    killed = []
    monkeypatch.setattr(ray, "kill", lambda handle, no_restart: killed.append((handle, no_restart)))
    assert faults.kill_env_runner(_Algo(), 2) == 102
    assert killed == [("handle-2", False)]
    faults.kill_env_runner(_Algo(), 1, allow_restart=False)
    assert killed[-1] == ("handle-1", True)


def test_kill_refuses_an_unknown_runner_by_name():
    with pytest.raises(ValueError, match=r"runner_id=7 is not a healthy remote EnvRunner; healthy: \[1, 2\]"):
        faults.kill_env_runner(_Algo(), 7)


def test_train_until_healthy_stops_at_the_first_full_result():
    algo = _Algo([1, 1, 2, 2])
    results = faults.train_until_healthy(algo, num_env_runners=2)
    assert [r["fault_tolerance"]["num_healthy_workers"] for r in results] == [1, 1, 2]


def test_train_until_healthy_gives_up_with_the_counters():
    with pytest.raises(TimeoutError, match="num_healthy_workers"):
        faults.train_until_healthy(_Algo([1, 1]), num_env_runners=2, timeout_s=0)


def test_rllib_errors_are_recorded_not_printed(capsys):
    import io

    logger = logging.getLogger("ray.rllib")
    propagate = logger.propagate
    printed = io.StringIO()
    own = logging.StreamHandler(printed)  # like the handler RLlib gives its logger when it is imported
    logger.addHandler(own)
    try:
        handlers = list(logger.handlers)
        with faults.recorded_rllib_errors() as records:
            logging.getLogger("ray.rllib.utils.actor_manager").error("actor 0123456789abcdef0123456789abcdef gone\nmore")
            logger.warning("below ERROR: not recorded")
        assert [r.name for r in records] == ["ray.rllib.utils.actor_manager"]
        assert faults.first_line(records[0]) == "actor <actor id> gone"
        assert "gone" not in capsys.readouterr().err
        assert "gone" not in printed.getvalue(), "RLlib's own handler printed the record"
        assert logger.propagate is propagate and logger.handlers == handlers, "the logger is left as it was"
        logger.error("after the block")
        assert "after the block" in printed.getvalue()
    finally:
        logger.removeHandler(own)


def test_native_stderr_is_captured_and_restored(capfd):
    import os

    with faults.captured_native_stderr() as lines:
        os.write(2, b"[2026-12-02 19:17:53,184 E 8009 8009] core_worker.cc:2465: Actor with ID: "
                    b"'1de0c73b36856e38b66ce20802000000' has constructor arguments\n")
    assert len(lines) == 1
    assert faults.native_message(lines[0]) == "Actor with ID: '<actor id>' has constructor arguments"
    os.write(2, b"back on stderr\n")
    err = capfd.readouterr().err
    assert "constructor" not in err and "back on stderr" in err


def _result(iteration, healthy, steps):
    return {"training_iteration": iteration, "fault_tolerance": {"num_healthy_workers": healthy},
            "env_runners": {"num_env_steps_sampled": steps}}


def _solution(results):
    normal, steps = results[0]["fault_tolerance"]["num_healthy_workers"], results[0]["env_runners"]["num_env_steps_sampled"]
    outage = []
    for result in results[1:]:
        if result["fault_tolerance"]["num_healthy_workers"] == normal:
            return {"back_at": result["training_iteration"], "outage_iterations": len(outage),
                    "extra_env_steps": sum(r["env_runners"]["num_env_steps_sampled"] - steps for r in outage)}
        outage.append(result)


def test_outage_check_counts_from_the_first_result():
    results = [_result(3, 2, 1000), _result(4, 1, 1488), _result(5, 1, 1488), _result(6, 2, 1000)]
    assert reference_outage_report(results) == {"back_at": 6, "outage_iterations": 2, "extra_env_steps": 976}
    assert reference_outage_report(MADE_UP) == {"back_at": 14, "outage_iterations": 3, "extra_env_steps": 1050}
    assert check_outage_report(_solution, results, strict=True)
    assumes_two = lambda rs: dict(_solution(rs), back_at=next(  # noqa: E731
        r["training_iteration"] for r in rs[1:] if r["fault_tolerance"]["num_healthy_workers"] == 2))
    with pytest.raises(ExerciseFailed, match="three EnvRunners"):
        check_outage_report(assumes_two, results, strict=True)
    with pytest.raises(ExerciseFailed, match="keys"):
        check_outage_report(lambda rs: 2, results, strict=True)
