"""RLlib glue: ``comm_env`` trains in a remote EnvRunner and a trained module scores like any policy.

These tests start Ray (about 10 s), so they share one small algorithm.
"""
import numpy as np
import pytest

ray = pytest.importorskip("ray")

import commenv  # noqa: E402
from commenv.rllib import RLLIB_ENV_NAME, module_policy  # noqa: E402
from commenv.training import course_ppo_config, start_ray  # noqa: E402


@pytest.fixture(scope="module")
def algo():
    assert start_ray() <= 2
    config = (course_ppo_config(seed=0, env_config={"n_ues": 3, "n_rbgs": 4, "episode_len": 50})
              .env_runners(num_env_runners=1, num_envs_per_env_runner=2)
              .training(train_batch_size_per_learner=200, minibatch_size=100, num_epochs=1))
    algorithm = config.build_algo()
    yield algorithm
    algorithm.stop()
    ray.shutdown()


def test_comm_env_trains_one_iteration_in_a_remote_env_runner(algo):
    assert algo.config.env == RLLIB_ENV_NAME
    assert algo.env_runner_group.num_remote_env_runners() == 1
    result = algo.train()
    assert result["env_runners"]["num_env_steps_sampled"] >= 200
    assert np.isfinite(result["learners"]["default_policy"]["policy_loss"])


def test_trained_module_is_evaluated_like_a_baseline(algo):
    policy = module_policy(algo.get_module())
    env_config = {"n_ues": 3, "n_rbgs": 4}
    first = commenv.evaluate(policy, n_episodes=2, seed=3, env_config=env_config, episode_len=50)
    assert first == commenv.evaluate(policy, n_episodes=2, seed=3, env_config=env_config, episode_len=50)
    sampled = module_policy(algo.get_module(), explore=True)
    obs, _ = commenv.make_env(env_config).reset(seed=0)
    action = sampled(obs)
    assert action.shape == (4,) and action.dtype == np.int64 and action.max() < 3


def test_start_ray_refuses_more_cpus_than_the_machine_has():
    import os

    with pytest.raises(ValueError, match=r"num_cpus=\d+ must be an integer in \[1, "):
        start_ray(num_cpus=len(os.sched_getaffinity(0)) + 1)


def test_the_factory_wraps_the_env_in_a_time_limit():
    from commenv.rllib import _create

    env = _create({"n_ues": 3, "episode_len": 7})
    assert env.unwrapped.n_ues == 3 and env._max_episode_steps == 7


def test_start_ray_retries_when_the_raylet_starts_too_slowly(monkeypatch):
    import commenv.training as training

    calls = []

    def slow_then_fine(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise Exception("The current node timed out during startup. ...")

    monkeypatch.setattr(ray, "is_initialized", lambda: len(calls) >= 2)
    monkeypatch.setattr(ray, "init", slow_then_fine)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 1.0})
    assert training.start_ray(num_cpus=1) == 1
    assert len(calls) == 2, "one failed start, one successful retry"


def test_start_ray_does_not_hide_other_errors(monkeypatch):
    import commenv.training as training

    def broken(**kwargs):
        raise RuntimeError("something else")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", broken)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    with pytest.raises(RuntimeError, match="something else"):
        training.start_ray(num_cpus=1)
