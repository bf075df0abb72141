"""Checks for the PPO exercises of Lesson 1: counting gradient steps, and translating an older tutorial's config.

Both compare the learner's answer with what RLlib itself reports or stores, and raise
``AssertionError`` with one sentence about what is wrong, so that ``rllib_course.exercise.check``
can turn it into feedback.
"""
from __future__ import annotations

import math
import numbers

# The older tutorial's PPO settings (its RLlib names in the comments), as 2.60 stores them.
OLD_TUTORIAL_TRAINING = {
    "lr": 3e-4,
    "minibatch_size": 64,         # was sgd_minibatch_size=64
    "num_epochs": 10,             # was num_sgd_iter=10
    "gamma": 0.99,
    "lambda_": 0.95,
    "clip_param": 0.2,
    "entropy_coeff": 0.01,
    "vf_loss_coeff": 0.5,
    "grad_clip": 0.5,
    "vf_clip_param": math.inf,
    "use_gae": True,
    "use_kl_loss": False,
    "kl_coeff": 0.0,
    "kl_target": 0.0,
}
# Older RLlib kept the policy and value layers apart by default, and so does 2.60's PPO (its model-config
# auto-includes hold vf_share_layers=False); but a DefaultModelConfig passes its own default True, which wins.
OLD_TUTORIAL_MODEL = {"fcnet_hiddens": [64, 64], "fcnet_activation": "relu", "vf_share_layers": False}
OLD_TUTORIAL_TRAIN_BATCH = 2048


def gradient_steps_done(result: dict) -> int:
    """Gradient steps (minibatch updates) in the iteration that returned ``result``, from RLlib's counters."""
    from ray.rllib.core import DEFAULT_MODULE_ID
    from ray.rllib.utils.metrics import LEARNER_RESULTS, MODULE_TRAIN_BATCH_SIZE_MEAN, NUM_MODULE_STEPS_TRAINED

    module = result[LEARNER_RESULTS][DEFAULT_MODULE_ID]
    return round(module[NUM_MODULE_STEPS_TRAINED] / module[MODULE_TRAIN_BATCH_SIZE_MEAN])


def learner_rows(result: dict) -> float:
    """Rows the Learner connector handed to the loss in that iteration (episode steps plus bootstrap rows)."""
    from ray.rllib.core import ALL_MODULES
    from ray.rllib.utils.metrics import LEARNER_CONNECTOR_SUM_EPISODES_LENGTH_OUT, LEARNER_RESULTS

    return result[LEARNER_RESULTS][ALL_MODULES][LEARNER_CONNECTOR_SUM_EPISODES_LENGTH_OUT]


def check_gradient_steps(gradient_steps, config, result: dict) -> None:
    """``gradient_steps(config, result)`` must equal the number of minibatch updates RLlib counted."""
    answer = gradient_steps(config, result)
    assert answer is not None, "your function returned None: did you forget the `return`?"
    assert isinstance(answer, numbers.Real), f"your function returned {answer!r}; return a number of steps"
    done = gradient_steps_done(result)
    from_config = config.num_epochs * config.total_train_batch_size / config.minibatch_size
    rows = learner_rows(result)
    if answer == done:
        return
    if math.isclose(answer, from_config):
        raise AssertionError(
            f"{answer:g} = num_epochs * train batch / minibatch_size counts {config.total_train_batch_size} rows, "
            f"but the Learner trained on {rows:.0f} rows (one extra row per episode piece, for the bootstrap "
            f"value) and made {done} updates; see the hint")
    if math.isclose(answer, config.num_epochs * rows / config.minibatch_size):
        raise AssertionError(f"{answer:g} is close: RLlib makes only whole minibatches of {config.minibatch_size} "
                             f"rows and keeps going until every row was used num_epochs times; round accordingly")
    raise AssertionError(f"RLlib made {done} gradient steps in that iteration, your function says {answer!r}")


def check_translated_config(config) -> None:
    """``config`` must be a 2.60 ``PPOConfig`` holding the older tutorial's settings."""
    from ray.rllib.algorithms.ppo import PPOConfig

    assert isinstance(config, PPOConfig), f"expected a PPOConfig, got {type(config).__name__}: return the config"
    assert config.env == "comm_env", f"environment is {config.env!r}; the older tutorial trains on 'comm_env'"
    assert config.num_env_runners == 1, f"num_env_runners is {config.num_env_runners}; the older tutorial uses 1 EnvRunner"
    assert config.num_learners == 1, f"num_learners is {config.num_learners}; the older tutorial uses 1 Learner"
    assert config.total_train_batch_size == OLD_TUTORIAL_TRAIN_BATCH, (
        f"the train batch is {config.total_train_batch_size} env steps; the older tutorial samples {OLD_TUTORIAL_TRAIN_BATCH} "
        f"(2.60's name: train_batch_size_per_learner)")
    for name, want in OLD_TUTORIAL_TRAINING.items():
        have = getattr(config, name)
        if isinstance(want, bool) or not isinstance(have, numbers.Real):
            same = have == want
        else:
            same = math.isclose(have, want)
        assert same, f"{name} is {have!r}, the older tutorial's value is {want!r}"
    layers = ("fcnet_hiddens", "fcnet_activation")
    old_model = {key: config.model.get(key) for key in layers}
    passed_the_old_way = old_model == {key: OLD_TUTORIAL_MODEL[key] for key in layers}
    assert not passed_the_old_way or config.model_config.get("fcnet_hiddens") == OLD_TUTORIAL_MODEL["fcnet_hiddens"], (
        "you passed the network to training(model=...): 2.60 accepts it and ignores it; use "
        "rl_module(model_config=DefaultModelConfig(...)) instead")
    for key, want in OLD_TUTORIAL_MODEL.items():
        have = config.model_config.get(key)
        hint = (" (a DefaultModelConfig passes its own default vf_share_layers=True, which overrides PPO's False)"
                if key == "vf_share_layers" else "")
        assert have == want, (f"model_config[{key!r}] is {have!r}, the older tutorial's network uses {want!r}"
                              f"{hint}; set it with rl_module(model_config=DefaultModelConfig(...))")
