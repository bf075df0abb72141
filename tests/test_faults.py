"""rllib_course.faults and fault_check: killing an EnvRunner by its own handle, training until RLlib has it back,
RLlib's error logs collected instead of printed, and the exercise check. Stand-ins replace Ray and the Algorithm."""
import logging

import pytest

ray = pytest.importorskip("ray")

from rllib_course import faults  # noqa: E402
from rllib_course.exercise import ExerciseFailed  # noqa: E402
from rllib_course.fault_check import check_fault_report, group_counts  # noqa: E402


class _Group:
    def __init__(self, ids=(1, 2)):
        self.ids = list(ids)

    def healthy_env_runner_ids(self):
        return self.ids

    def foreach_env_runner(self, func, local_env_runner, remote_worker_ids):
        assert not local_env_runner
        return [(f"handle-{i}", 100 + i) for i in remote_worker_ids]

    def num_healthy_remote_env_runners(self):
        return 2

    def num_remote_worker_restarts(self):
        return 1

    def num_env_runners_dropped_lifetime(self):
        return 0


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


def _result(healthy, restored, dropped=0):
    return {"fault_tolerance": {"num_healthy_workers": healthy, "num_remote_worker_restarts": restored,
                                "num_env_runners_dropped_lifetime": dropped}}


def _solution(result):
    counters = result["fault_tolerance"]
    return {"healthy": counters["num_healthy_workers"], "restored": counters["num_remote_worker_restarts"],
            "dropped": counters["num_env_runners_dropped_lifetime"]}


def test_fault_check_compares_with_the_group_s_own_counts():
    live = group_counts(_Algo())
    assert live == {"healthy": 2, "restored": 1, "dropped": 0}
    results = [_result(2, 0), _result(1, 0), _result(2, 1)]
    assert check_fault_report(_solution, results, live, strict=True)
    swapped = lambda result: dict(_solution(result), restored=result["fault_tolerance"]["num_env_runners_dropped_lifetime"])  # noqa: E731
    with pytest.raises(ExerciseFailed, match="RLlib's EnvRunnerGroup counts"):
        check_fault_report(swapped, results, live, strict=True)
    with pytest.raises(ExerciseFailed, match="keys"):
        check_fault_report(lambda result: 2, results, live, strict=True)


def test_ray_native_text_finds_the_whole_compiled_message():
    text = faults.ray_native_text("the actor restart will fail")
    assert "max_restarts > 0" in text and text.endswith("for more details.")
    with pytest.raises(ValueError, match="not in _raylet.so"):
        faults.ray_native_text("no such message in Ray, surely 0xDEADBEEF")
