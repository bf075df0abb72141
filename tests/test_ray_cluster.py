"""rllib_course.ray_cluster: nodes started with the `ray` CLI, on ports and in a folder of their own, and stopped.

The last test starts a real head node and worker node (about 30 s on 2 cores) and checks that no raylet
is left afterwards; the others replace `ray start` with stand-ins.
"""
import os
from pathlib import Path
import subprocess
import sys
import time

import pytest

ray = pytest.importorskip("ray")

from rllib_course import ray_cluster  # noqa: E402
from rllib_course.ray_cluster import RayCluster, free_port, leftover_raylets, wait_for_nodes  # noqa: E402


@pytest.mark.parametrize("kwargs, bad", [({"num_workers": -1}, "num_workers=-1"), ({"cpus_per_node": 0}, "cpus_per_node=0"),
                                         ({"cpus_per_node": "1"}, "cpus_per_node='1'"),
                                         ({"num_workers": True}, "num_workers=True"),
                                         ({"object_store_bytes": 0}, "object_store_bytes=0")])
def test_bad_sizes_are_refused_by_name(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        RayCluster(**kwargs)


def test_free_port_can_be_bound():
    import socket

    port = free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


@pytest.fixture
def fake_ray_start(monkeypatch, tmp_path):
    """`ray start` that only records its arguments; the head writes the address record as Ray does."""
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        if "--head" in command:
            temp_dir = command[command.index("--temp-dir") + 1]
            with open(f"{temp_dir}/ray_current_cluster", "w") as record:
                record.write("127.0.0.1:6390")
        fail = getattr(run, "fail", None)
        if fail and len(calls) == 1:
            return subprocess.CompletedProcess(command, 1, "", fail)
        return subprocess.CompletedProcess(command, 0, "Ray runtime started.", "")

    monkeypatch.setattr(ray_cluster.subprocess, "run", run)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    return run, calls


def _option(command, name):
    return command[command.index(name) + 1]


def test_head_then_workers_each_small_on_ports_of_their_own(fake_ray_start):
    _, calls = fake_ray_start
    cluster = RayCluster(num_workers=2, cpus_per_node=1).start()
    try:
        head, *workers = calls
        assert "--head" in head and "--no-monitor" in head and _option(head, "--include-dashboard") == "false"
        assert len(workers) == 2 and all(_option(worker, "--address") == "127.0.0.1:6390" for worker in workers)
        assert all(_option(command, "--num-cpus") == "1" for command in calls)
        assert all(_option(command, "--temp-dir") == cluster.temp_dir for command in calls)
        ports = [_option(command, flag) for command in calls for flag in
                 ("--dashboard-agent-listen-port", "--dashboard-agent-grpc-port", "--runtime-env-agent-port")]
        assert len(set(ports)) == len(ports), "two nodes on one machine must not share an agent port"
        assert cluster.address == "127.0.0.1:6390" and cluster.commands == calls
    finally:
        cluster.stop()
    assert not __import__("os").path.exists(cluster.temp_dir), "stop() removes the cluster's folder"


def test_token_mode_without_a_token_generates_one_before_the_head(fake_ray_start, monkeypatch, tmp_path):
    _, calls = fake_ray_start
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    # start() sets RAY_AUTH_TOKEN_PATH for the rest of the process; set, then delete, so that monkeypatch removes it
    # again afterwards (a path to a token the fake `ray` never wrote would break every later ray.init here).
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", "")
    monkeypatch.delenv("RAY_AUTH_TOKEN_PATH")
    monkeypatch.setattr(ray_cluster, "_token_dir", None)
    assert not ray_cluster.has_auth_token()
    cluster = RayCluster(num_workers=1).start()
    cluster.stop()
    generate, head, worker = calls
    assert generate[1:] == ["get-auth-token", "--generate"] and "--head" in head and "--address" in worker
    assert cluster.commands == [head, worker], "the printed commands stay the `ray start` calls"
    token_path = os.environ["RAY_AUTH_TOKEN_PATH"]
    assert not token_path.startswith(str(tmp_path)), "the token goes to a folder of the cluster's own, not ~/.ray"
    assert token_path.endswith("/.ray/auth_token") and not (tmp_path / ".ray").exists()


def test_the_generated_token_path_does_not_outlive_the_test():
    """The test above must leave no RAY_AUTH_TOKEN_PATH behind for the tests that start Ray after it."""
    assert "RAY_AUTH_TOKEN_PATH" not in os.environ or Path(os.environ["RAY_AUTH_TOKEN_PATH"]).is_file()


def test_an_existing_token_is_used_as_it_is(fake_ray_start, monkeypatch, tmp_path):
    _, calls = fake_ray_start
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    token = tmp_path / "token"
    token.write_text("0" * 32)
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token))
    assert ray_cluster.has_auth_token()
    RayCluster(num_workers=0).start().stop()
    assert len(calls) == 1 and "--head" in calls[0]


def test_a_slow_start_is_retried_in_a_new_folder(fake_ray_start):
    run, calls = fake_ray_start
    run.fail = "The current node timed out during startup."
    cluster = RayCluster(num_workers=0).start()
    cluster.stop()
    assert len(calls) == 2 and _option(calls[0], "--temp-dir") != _option(calls[1], "--temp-dir")


def test_other_failures_name_the_command_and_show_ray_s_words(fake_ray_start):
    run, _ = fake_ray_start
    run.fail = "ConnectionError: port 6390 is already in use"
    with pytest.raises(RuntimeError, match=r"`ray start --head` failed .*\n.*port 6390 is already in use"):
        RayCluster(num_workers=0).start()


def test_stop_ends_only_the_processes_that_name_the_cluster_folder(tmp_path):
    cluster = RayCluster(num_workers=0)
    cluster.temp_dir, cluster._stopped = str(tmp_path / "raycl_test"), False
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    ours = subprocess.Popen(sleeper + [cluster.temp_dir])
    other = subprocess.Popen(sleeper + [str(tmp_path / "raycl_other")])
    try:
        deadline = time.monotonic() + 10
        while ours.pid not in {proc.pid for proc in cluster.processes()} and time.monotonic() < deadline:
            time.sleep(0.1)
        cluster.stop(timeout_s=5)
        assert ours.wait(timeout=10) is not None
        assert other.poll() is None, "a process of another cluster must keep running"
    finally:
        for proc in (ours, other):
            proc.kill()
            proc.wait()


def test_starting_twice_is_refused():
    cluster = RayCluster()
    cluster._stopped, cluster.address = False, "127.0.0.1:1"
    with pytest.raises(RuntimeError, match="already running at 127.0.0.1:1"):
        cluster.start()


def test_machine_resources_take_the_smaller_of_memory_and_the_container_limit(monkeypatch):
    import psutil

    class _Memory:
        total = 8_000_000_000

    monkeypatch.setattr(psutil, "virtual_memory", lambda: _Memory())
    monkeypatch.setattr(ray_cluster.Path, "read_text", lambda self: "2000000000\n")
    limited = ray_cluster.machine_resources()
    assert limited["memory_gb"] == 2.0 and limited["limited"] and limited["cpus"] >= 1
    monkeypatch.setattr(ray_cluster.Path, "read_text", lambda self: "max\n")
    assert ray_cluster.machine_resources()["memory_gb"] == 8.0 and not ray_cluster.machine_resources()["limited"]


def test_process_memory_counts_live_processes_and_skips_ended_ones():
    import os

    assert ray_cluster.process_memory_gb([os.getpid()]) > 0
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert ray_cluster.process_memory_gb([int(finished.stdout)]) == 0


def test_a_real_cli_cluster_has_two_raylets_and_leaves_none():
    ray.shutdown()
    before = set(leftover_raylets())
    with RayCluster(num_workers=1, cpus_per_node=1) as cluster:
        assert len(cluster.raylets()) == 2, "one raylet per node"
        ray.init(address=cluster.address, log_to_driver=False)
        nodes = wait_for_nodes(2)
        assert sorted(node["Resources"]["CPU"] for node in nodes) == [1.0, 1.0]
        assert ray.cluster_resources()["CPU"] == 2
    assert not ray.is_initialized(), "leaving the block disconnects the driver"
    assert set(leftover_raylets()) <= before, "no raylet of this cluster may be left running"
    assert cluster.processes() == [] or all(not proc.is_running() for proc in cluster.processes())
