"""RLlib glue: ``comm_env`` trains in a remote EnvRunner and a trained module scores like any policy.

These tests start Ray (about 10 s), so they share one small algorithm.
"""
import numpy as np
import pytest

ray = pytest.importorskip("ray")

import commenv  # noqa: E402
from ray.rllib.core import DEFAULT_MODULE_ID  # noqa: E402
from ray.rllib.core.learner.learner import POLICY_LOSS_KEY  # noqa: E402
from ray.rllib.utils.metrics import LEARNER_RESULTS  # noqa: E402

from commenv.rllib import RLLIB_ENV_NAME, module_policy  # noqa: E402
from rllib_course.ray_start import start_ray  # noqa: E402
from rllib_course.training import course_ppo_config  # noqa: E402


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
    assert np.isfinite(result[LEARNER_RESULTS][DEFAULT_MODULE_ID][POLICY_LOSS_KEY])


def test_trained_module_is_evaluated_like_a_baseline(algo):
    policy = module_policy(algo.get_module())
    env_config = {"n_ues": 3, "n_rbgs": 4}
    first = commenv.evaluate(policy, n_episodes=2, seed=3, env_config=env_config, episode_len=50)
    assert first == commenv.evaluate(policy, n_episodes=2, seed=3, env_config=env_config, episode_len=50)
    sampled = module_policy(algo.get_module(), explore=True)
    obs, _ = commenv.make_env(env_config).reset(seed=0)
    action = sampled(obs)
    assert action.shape == (4,) and action.dtype == np.int64 and action.max() < 3


def test_the_factory_wraps_the_env_in_a_time_limit():
    from commenv.rllib import _create

    env = _create({"n_ues": 3, "episode_len": 7})
    assert env.unwrapped.n_ues == 3 and env._max_episode_steps == 7


def test_the_course_config_reads_the_cell():
    """The default cell keeps Lessons 2-3's recipe; a delay-critical cell gets the deadline module and its settings."""
    from commenv.rllib.modules import DeadlinePairScorerModule, PairScorerModule
    from rllib_course import training

    plain, critical = course_ppo_config(), course_ppo_config(env_config={**commenv.DELAY_CRITICAL, "episode_len": 50})
    assert plain.rl_module_spec.module_class is PairScorerModule and plain.lr == 1e-3
    assert critical.rl_module_spec.module_class is DeadlinePairScorerModule and critical.lr == training.DEADLINE_LR
    assert critical.num_envs_per_env_runner == training.DEADLINE_ENVS_PER_RUNNER
    assert training.course_iterations() == training.ITERATIONS
    assert training.course_iterations(commenv.DELAY_CRITICAL) == training.DEADLINE_ITERATIONS
    torch = pytest.importorskip("torch")
    module = critical.get_rl_module_spec(env=commenv.make_env(commenv.DELAY_CRITICAL)).build()
    assert module.pair_features(torch.zeros(2, 40)).shape == (2, 4, 6, 8)
