"""The PPO exercise checks of Lesson 1: right answers pass, each typical mistake gets its own message."""
import math

import pytest

pytest.importorskip("ray")

from ray.rllib.algorithms.ppo import PPOConfig  # noqa: E402
from ray.rllib.core import ALL_MODULES, DEFAULT_MODULE_ID  # noqa: E402
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig  # noqa: E402
from ray.rllib.utils.metrics import (LEARNER_CONNECTOR_SUM_EPISODES_LENGTH_OUT, LEARNER_RESULTS,  # noqa: E402
                                     MODULE_TRAIN_BATCH_SIZE_MEAN, NUM_MODULE_STEPS_TRAINED)

from rllib_course.ppo_check import check_gradient_steps, check_translated_config, gradient_steps_done  # noqa: E402
from rllib_course.training import course_ppo_config  # noqa: E402

# What one iteration of the course config reports: 2000 sampled steps became 2016 rows (8 envs x 2
# episode pieces, one bootstrap row each); 10 epochs of 250-row minibatches -> ceil(20160 / 250) = 81.
RESULT = {LEARNER_RESULTS: {DEFAULT_MODULE_ID: {NUM_MODULE_STEPS_TRAINED: 81 * 250, MODULE_TRAIN_BATCH_SIZE_MEAN: 250.0},
                            ALL_MODULES: {LEARNER_CONNECTOR_SUM_EPISODES_LENGTH_OUT: 2016.0}}}


def solution(config, result):
    rows = result[LEARNER_RESULTS][ALL_MODULES][LEARNER_CONNECTOR_SUM_EPISODES_LENGTH_OUT]
    return math.ceil(config.num_epochs * rows / config.minibatch_size)


def test_gradient_steps_are_read_from_rllibs_counters():
    assert gradient_steps_done(RESULT) == 81
    check_gradient_steps(solution, course_ppo_config(), RESULT)


@pytest.mark.parametrize("answer, match", [
    (None, "returned None"),
    ("81", "return a number"),
    (80, "counts 2000 rows, but the Learner trained on 2016 rows"),
    (80.64, "whole minibatches"),
    (7, "RLlib made 81 gradient steps"),
])
def test_gradient_steps_mistakes_are_explained(answer, match):
    with pytest.raises(AssertionError, match=match):
        check_gradient_steps(lambda config, result: answer, course_ppo_config(), RESULT)


def old_tutorial_in_new_names():
    return (PPOConfig()
            .environment("comm_env")
            .env_runners(num_env_runners=1)
            .learners(num_learners=1)
            .training(lr=3e-4, train_batch_size_per_learner=2048, minibatch_size=64, num_epochs=10, gamma=0.99,
                      lambda_=0.95, clip_param=0.2, entropy_coeff=0.01, vf_loss_coeff=0.5, grad_clip=0.5,
                      vf_clip_param=math.inf, use_gae=True, kl_coeff=0.0, use_kl_loss=False, kl_target=0.0)
            .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64], fcnet_activation="relu",
                                                       vf_share_layers=False)))


def test_the_translated_old_config_passes():
    check_translated_config(old_tutorial_in_new_names())
    # train_batch_size still works in 2.60 when no per-learner size is set: the same 2048 steps.
    check_translated_config(old_tutorial_in_new_names().training(train_batch_size_per_learner=None, train_batch_size=2048))


def test_a_dict_model_config_keeps_ppos_separate_layers():
    # PPO's model-config auto-includes hold vf_share_layers=False; a dict without that key keeps it.
    check_translated_config(old_tutorial_in_new_names().rl_module(
        model_config={"fcnet_hiddens": [64, 64], "fcnet_activation": "relu"}))


@pytest.mark.parametrize("change, match", [
    (lambda c: "config", "expected a PPOConfig"),
    (lambda c: c.environment("CartPole-v1"), "environment is 'CartPole-v1'"),
    (lambda c: c.env_runners(num_env_runners=0), "num_env_runners is 0"),
    (lambda c: c.learners(num_learners=0), "num_learners is 0"),
    (lambda c: c.training(train_batch_size_per_learner=2000), "the train batch is 2000 env steps"),
    (lambda c: c.training(minibatch_size=128), "minibatch_size is 128"),
    (lambda c: c.training(lr=[[0, 3e-4], [1000, 1e-4]]), "lr is"),
    (lambda c: c.training(vf_clip_param=10.0), "vf_clip_param is 10.0"),
    (lambda c: c.training(use_kl_loss=True), "use_kl_loss is True"),
    (lambda c: c.rl_module(model_config={"fcnet_hiddens": [64, 64], "fcnet_activation": "tanh"}),
     "'fcnet_activation'.* 'tanh'"),
    (lambda c: c.rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64], fcnet_activation="relu")),
     "'vf_share_layers'.* True.*DefaultModelConfig passes its own default vf_share_layers=True, which overrides PPO's False"),
])
def test_translation_mistakes_are_explained(change, match):
    with pytest.raises(AssertionError, match=match):
        check_translated_config(change(old_tutorial_in_new_names()))


def test_the_old_model_argument_is_recognised():
    config = old_tutorial_in_new_names().rl_module(model_config=DefaultModelConfig())
    config.training(**{"model": {"fcnet_hiddens": [64, 64], "fcnet_activation": "relu"}})
    with pytest.raises(AssertionError, match=r"training\(model=...\): 2.60 accepts it and ignores it"):
        check_translated_config(config)
