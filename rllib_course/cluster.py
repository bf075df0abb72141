"""A multi-node Ray cluster on one machine, to watch RLlib place its EnvRunners on nodes (and ask them what they run).

``ray.cluster_utils.Cluster`` (Ray's own test utility) starts a head node and worker nodes as
separate sets of Ray processes (a raylet each, sharing one GCS) on this machine. To Ray, and so
to RLlib, they are different nodes: an EnvRunner that needs a CPU lands on whichever node has
one free, exactly as on a real cluster. Starting it takes more care than ``start_ray``: the
driver must not already be connected to another Ray instance, every node is kept small and
quiet (no autoscaler monitor, no log monitor: a fixed cluster whose worker logs stay in their
files), the cluster is not advertised to other programs on the machine, and a start that times
out on a busy machine is retried, as ``start_ray`` does (``rllib_course.ray_start``).
"""
from __future__ import annotations

import logging
import os

from rllib_course.ray_start import OBJECT_STORE_BYTES, with_startup_retries


def start_local_cluster(num_nodes: int = 2, cpus_per_node: int = 1):
    """Start ``num_nodes`` Ray nodes with ``cpus_per_node`` CPUs each, connect this driver; return the Cluster.

    The driver connects to the head node, as a script does with ``ray.init(address=...)`` on a
    real cluster. Stop everything with ``stop_local_cluster(cluster)``.
    """
    import ray
    from ray.cluster_utils import Cluster

    if not (isinstance(num_nodes, int) and num_nodes >= 1 and isinstance(cpus_per_node, int) and cpus_per_node >= 1):
        raise ValueError(f"num_nodes={num_nodes!r} and cpus_per_node={cpus_per_node!r} must be integers >= 1")
    if ray.is_initialized():
        raise RuntimeError("this process is already connected to Ray: call ray.shutdown() first")
    node_args = {"num_cpus": cpus_per_node, "object_store_memory": OBJECT_STORE_BYTES}
    cluster = None

    def start():
        nonlocal cluster
        cluster = Cluster()
        # The first node added is the head. Cluster records the head's address in Ray's
        # "current cluster" file, where any later ray.init() on this machine would find it and
        # join this cluster instead of starting its own: our driver connects by address, so
        # the record goes.
        head = cluster.add_node(include_dashboard=False, no_monitor=True, include_log_monitor=False, **node_args)
        _forget_address(head.gcs_address)
        for _ in range(num_nodes - 1):
            cluster.add_node(**node_args)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, logging_level=logging.ERROR, log_to_driver=False)
        return cluster

    def cleanup():
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()

    return with_startup_retries(start, cleanup)


def _forget_address(address: str) -> None:
    """Remove Ray's record of the current cluster if it points at ``address``."""
    from ray._common.utils import get_ray_address_file

    path = get_ray_address_file(None)
    try:
        with open(path) as file:
            recorded = file.read().strip()
        if recorded == address:
            os.remove(path)
    except OSError:
        pass  # no record (or one we may not remove): nothing points at this cluster


def stop_local_cluster(cluster) -> None:
    """Disconnect the driver and stop every node of ``cluster``."""
    import ray

    ray.shutdown()
    cluster.shutdown()


def env_runner_nodes(algo) -> dict:
    """``{EnvRunner id: ID of the Ray node it runs on}`` for the remote EnvRunners of ``algo``."""
    import ray

    ids = algo.env_runner_group.healthy_env_runner_ids()
    nodes = algo.env_runner_group.foreach_env_runner(lambda runner: ray.get_runtime_context().get_node_id(),
                                                     local_env_runner=False, remote_worker_ids=ids)
    return dict(zip(ids, nodes))


def env_runner_seeds(algo) -> dict:
    """``{EnvRunner id: seeds its environment copies were last reset with}`` for the remote EnvRunners of ``algo``.

    Read from each copy's ``np_random_seed`` (gymnasium keeps the seed of the last seeded reset there),
    inside each EnvRunner; RLlib seeds the copies at the first ``sample()``.
    """
    ids = algo.env_runner_group.healthy_env_runner_ids()
    seeds = algo.env_runner_group.foreach_env_runner(
        lambda runner: [int(seed) for seed in runner.env.unwrapped.get_attr("np_random_seed")],
        local_env_runner=False, remote_worker_ids=ids)
    return dict(zip(ids, seeds))
