"""``comm_env`` after a Ray restart in the same process (kept apart from the tests that share one Ray)."""
import pytest

ray = pytest.importorskip("ray")

from commenv.training import start_ray  # noqa: E402


def test_comm_env_survives_a_ray_restart_in_the_same_process():
    """Tune's registry belongs to one Ray session: start_ray registers comm_env again for the next one."""
    from ray.tune.registry import ENV_CREATOR, _global_registry

    ray.shutdown()
    start_ray(1)
    ray.shutdown()
    start_ray(1)
    try:
        assert _global_registry.contains(ENV_CREATOR, "comm_env")
    finally:
        ray.shutdown()
