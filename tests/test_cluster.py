"""rllib_course.cluster: a two-node Ray cluster on one machine, started, found by no one else, and stopped;
what its EnvRunners report (node, seeds).

The last test starts a real cluster (about 20 s); the others replace Ray's pieces with stand-ins.
"""
import pytest

ray = pytest.importorskip("ray")

import ray.cluster_utils  # noqa: E402

import commenv.rllib  # noqa: E402

from rllib_course import cluster as local_cluster  # noqa: E402
from rllib_course.cluster import (env_runner_nodes, env_runner_seeds, start_local_cluster,  # noqa: E402
                                  stop_local_cluster)


@pytest.mark.parametrize("num_nodes, cpus_per_node", [(0, 1), (2, 0), (2, "1"), (1.5, 1)])
def test_bad_sizes_are_refused(num_nodes, cpus_per_node):
    with pytest.raises(ValueError, match="must be integers >= 1"):
        start_local_cluster(num_nodes, cpus_per_node)


def test_a_connected_driver_must_disconnect_first(monkeypatch):
    monkeypatch.setattr(ray, "is_initialized", lambda: True)
    with pytest.raises(RuntimeError, match="ray.shutdown"):
        start_local_cluster()


class _Node:
    gcs_address = "127.0.0.1:6379"


class _FakeCluster:
    """Stands in for ray.cluster_utils.Cluster; the first head node of the run may time out."""

    instances = []
    failure = None

    def __init__(self):
        self.nodes, self.stopped = [], False
        _FakeCluster.instances.append(self)

    def add_node(self, **kwargs):
        if _FakeCluster.failure and len(_FakeCluster.instances) == 1:
            raise Exception(_FakeCluster.failure)
        self.nodes.append(kwargs)
        return _Node()

    def wait_for_nodes(self):
        pass

    address = _Node.gcs_address

    def shutdown(self):
        self.stopped = True


@pytest.fixture
def fake_ray(monkeypatch):
    _FakeCluster.instances, _FakeCluster.failure = [], None
    calls = {"init": [], "forgotten": []}
    monkeypatch.setattr(ray.cluster_utils, "Cluster", _FakeCluster)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kwargs: calls["init"].append(kwargs))
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.setattr(local_cluster, "_forget_address", calls["forgotten"].append)
    return calls


def test_nodes_are_small_and_the_head_is_lean(fake_ray):
    cluster = start_local_cluster(num_nodes=3, cpus_per_node=1)
    head, *workers = cluster.nodes
    assert head["num_cpus"] == 1 and head["no_monitor"] and not head["include_log_monitor"]
    assert not head["include_dashboard"]
    assert len(workers) == 2 and all(node["num_cpus"] == 1 for node in workers)
    assert all(node["object_store_memory"] == local_cluster.OBJECT_STORE_BYTES for node in cluster.nodes)
    assert fake_ray["forgotten"] == [_Node.gcs_address]
    assert fake_ray["init"][0]["address"] == _Node.gcs_address and not fake_ray["init"][0]["log_to_driver"]


def test_a_slow_start_is_retried(fake_ray):
    _FakeCluster.failure = "The current node timed out during startup."
    cluster = start_local_cluster()
    assert len(_FakeCluster.instances) == 2 and _FakeCluster.instances[0].stopped
    assert cluster is _FakeCluster.instances[1] and len(cluster.nodes) == 2


def test_other_errors_are_not_hidden(fake_ray):
    _FakeCluster.failure = "something else broke"
    with pytest.raises(Exception, match="something else broke"):
        start_local_cluster()
    assert len(_FakeCluster.instances) == 1 and _FakeCluster.instances[0].stopped


def test_the_address_record_goes_only_when_it_is_ours(tmp_path, monkeypatch):
    import ray._common.utils

    record = tmp_path / "ray_current_cluster"
    monkeypatch.setattr(ray._common.utils, "get_ray_address_file", lambda temp_dir: str(record))
    local_cluster._forget_address("10.0.0.1:6379")  # no record at all: nothing to do
    record.write_text("10.0.0.2:6379")
    local_cluster._forget_address("10.0.0.1:6379")
    assert record.read_text() == "10.0.0.2:6379", "another cluster's record stays"
    local_cluster._forget_address("10.0.0.2:6379")
    assert not record.exists()


def test_stop_disconnects_then_stops_the_nodes(monkeypatch):
    events = []
    monkeypatch.setattr(ray, "shutdown", lambda: events.append("disconnect"))

    class Stoppable:
        def shutdown(self):
            events.append("stop nodes")

    stop_local_cluster(Stoppable())
    assert events == ["disconnect", "stop nodes"]


def test_env_runner_nodes_asks_each_remote_runner(monkeypatch):
    class Context:
        def get_node_id(self):
            return "node-A"

    class Group:
        def healthy_env_runner_ids(self):
            return [1, 2]

        def foreach_env_runner(self, func, local_env_runner, remote_worker_ids):
            assert not local_env_runner and remote_worker_ids == [1, 2]
            return [func(None), "node-B"]

    class Algo:
        env_runner_group = Group()

    monkeypatch.setattr(ray, "get_runtime_context", Context)
    assert env_runner_nodes(Algo()) == {1: "node-A", 2: "node-B"}


def test_env_runner_seeds_reads_each_copy_of_each_remote_runner():
    class VectorEnv:
        def __init__(self, seeds):
            self.seeds = seeds

        def get_attr(self, name):
            assert name == "np_random_seed"
            return tuple(self.seeds)

    class Runner:
        def __init__(self, seeds):
            self.env = type("Wrapped", (), {"unwrapped": VectorEnv(seeds)})()

    class Group:
        def healthy_env_runner_ids(self):
            return [1, 2]

        def foreach_env_runner(self, func, local_env_runner, remote_worker_ids):
            assert not local_env_runner and remote_worker_ids == [1, 2]
            return [func(Runner([1, 2])), func(Runner([2, 3]))]

    class Algo:
        env_runner_group = Group()

    assert env_runner_seeds(Algo()) == {1: [1, 2], 2: [2, 3]}


def test_a_real_two_node_cluster_places_one_actor_per_node():
    from ray._common.utils import get_ray_address_file

    ray.shutdown()
    cluster = start_local_cluster(num_nodes=2, cpus_per_node=1)
    try:
        nodes = [node for node in ray.nodes() if node["Alive"]]
        assert len(nodes) == 2 and all(node["Resources"]["CPU"] == 1 for node in nodes)
        try:
            with open(get_ray_address_file(None)) as file:
                assert file.read().strip() != cluster.address, "the cluster must not be advertised"
        except FileNotFoundError:
            pass

        @ray.remote(num_cpus=1)
        class Where:
            def node(self):
                return ray.get_runtime_context().get_node_id()

        actors = [Where.remote() for _ in range(2)]
        placed = ray.get([actor.node.remote() for actor in actors], timeout=120)
        assert sorted(placed) == sorted(node["NodeID"] for node in nodes)
    finally:
        stop_local_cluster(cluster)
        # Connecting moved every pending register_env name (comm_env, registered when commenv.rllib was
        # imported) into that cluster's key-value store; queue them again for the next Ray of this process.
        commenv.rllib.register()
    assert not ray.is_initialized()
