"""rllib_course.scaling: resource requests read from RLlib, memory of a process tree, and one real measurement.

Only the last test starts Ray (about 10 s); the others use configs alone or stand-ins.
"""
import subprocess
import sys
import time

import pytest

matplotlib = pytest.importorskip("matplotlib")
psutil = pytest.importorskip("psutil")
ray = pytest.importorskip("ray")
matplotlib.use("Agg")

import commenv.rllib  # noqa: E402
from rllib_course.scaling import (actor_cpus, format_rows, measure_throughput, plot_throughput,  # noqa: E402
                                  process_tree_memory_mb, resource_request, sampling_cpu_s)
from rllib_course.ray_start import start_ray  # noqa: E402
from rllib_course.training import course_ppo_config  # noqa: E402

SMALL_ENV = {"n_ues": 3, "n_rbgs": 4, "episode_len": 50}


def small_config():
    return (course_ppo_config(seed=0, env_config=SMALL_ENV)
            .training(train_batch_size_per_learner=200, minibatch_size=100, num_epochs=1)
            .debugging(log_level="ERROR"))


def test_memory_of_the_tree_counts_children():
    alone = process_tree_memory_mb()
    assert alone["rss"] > 10 and 0 < alone["pss"] <= alone["rss"] * 1.01
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(50_000_000); time.sleep(30)"])
    try:
        deadline = time.time() + 20
        while time.time() < deadline and psutil.Process(child.pid).memory_info().rss < 50e6:
            time.sleep(0.1)
        assert process_tree_memory_mb()["rss"] > alone["rss"] + 40
    finally:
        child.kill()
        child.wait()


def test_memory_skips_processes_that_vanish(monkeypatch):
    class Gone:
        def memory_full_info(self):
            raise psutil.NoSuchProcess(pid=1)

    monkeypatch.setattr(psutil.Process, "children", lambda self, recursive=False: [Gone()])
    assert process_tree_memory_mb()["rss"] > 0


@pytest.mark.parametrize("settings, expected", [
    ({}, {"CPU": 0.0, "GPU": 0.0}),
    ({"env_runners": {"num_env_runners": 2}}, {"CPU": 2.0, "GPU": 0.0}),
    ({"env_runners": {"num_env_runners": 1}, "learners": {"num_learners": 1}}, {"CPU": 2.0, "GPU": 0.0}),
    ({"env_runners": {"num_env_runners": 3}, "learners": {"num_learners": 2, "num_gpus_per_learner": 1}},
     {"CPU": 3.0, "GPU": 2.0}),
    ({"evaluation": {"evaluation_num_env_runners": 2, "evaluation_interval": 1}}, {"CPU": 2.0, "GPU": 0.0}),
])
def test_resource_request_leaves_out_the_driver(settings, expected):
    config = small_config()
    for method, kwargs in settings.items():
        config = getattr(config, method)(**kwargs)
    assert resource_request(config) == expected
    assert actor_cpus(config) == expected["CPU"]


def test_a_layout_that_does_not_fit_is_skipped_without_building(monkeypatch):
    monkeypatch.setattr(type(small_config()), "build_algo", lambda self: pytest.fail("must not build"))
    row = measure_throughput(small_config(), 3, 4, cpus=2)
    assert row == {"num_env_runners": 3, "num_envs_per_env_runner": 4,
                   "skipped": "needs 3 CPUs for its actors, Ray has 2"}


@pytest.mark.parametrize("runners, envs", [(-1, 1), (0, 0), (1.5, 2), (True, 2)])
def test_bad_layouts_are_refused(runners, envs):
    with pytest.raises(ValueError, match="num_env_runners="):
        measure_throughput(small_config(), runners, envs, cpus=2)


class _Group:
    def __init__(self, remote_cpu_seconds):
        self.remote = remote_cpu_seconds

    def num_remote_env_runners(self):
        return len(self.remote)

    def foreach_env_runner(self, func, local_env_runner=True):
        assert not local_env_runner
        return list(self.remote)


class _Algo:
    def __init__(self, remote_cpu_seconds):
        self.env_runner_group = _Group(remote_cpu_seconds)


def test_sampling_cpu_is_the_drivers_without_actors_and_the_actors_with_them():
    before = time.process_time()
    assert before <= sampling_cpu_s(_Algo([])) <= time.process_time()
    assert sampling_cpu_s(_Algo([1.5, 2.0])) == 3.5


def test_table_and_plot():
    rows = [{"num_env_runners": 0, "num_envs_per_env_runner": 8, "build_s": 0.5, "sample_steps_per_s": 2000.0,
             "train_steps_per_s": 1000.0, "cpu_ms_per_step": 0.5, "cores_busy": 1.0, "memory_gb": 1.1},
            {"num_env_runners": 3, "num_envs_per_env_runner": 4, "skipped": "needs 3 CPUs"}]
    lines = format_rows(rows).splitlines()
    assert lines[0].startswith("runners x envs") and "cores busy" in lines[0]
    assert lines[1].split() == ["0", "x", "8", "0.5", "2000", "1000", "0.50", "1.00", "1.10"]
    assert lines[2].split()[-4:] == ["skipped:", "needs", "3", "CPUs"]
    fig = plot_throughput(rows)
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2  # sampling and iteration bars, one layout
    matplotlib.pyplot.close(fig)


def test_one_local_layout_is_measured_and_probed():
    assert start_ray() <= 2
    commenv.rllib.register()  # an earlier Ray of this process may have taken comm_env's registration with it
    try:
        row = measure_throughput(small_config(), 0, 2, cpus=2, probe=lambda algo: algo.iteration)
    finally:
        ray.shutdown()
    assert row["probe"] == 2  # the warm-up and the timed iteration
    for key in ("build_s", "sample_steps_per_s", "train_steps_per_s", "cpu_ms_per_step", "cores_busy", "memory_gb"):
        assert row[key] > 0, key
    assert row["sample_steps_per_s"] == pytest.approx(row["cores_busy"] * 1e3 / row["cpu_ms_per_step"])
