"""The course's PPO recipe for ``comm_env``.

Lesson 1 writes the same config out line by line; keeping it here too lets the learning
benchmark (``benchmarks/learning.py``) and the tests train exactly what the lesson trains.
A cell with delay-critical users (``commenv.DELAY_CRITICAL``) gets the module that reads its
deadline features, a larger learning rate and more iterations (``course_iterations``).
"""
from __future__ import annotations

ITERATIONS = 15               # the default cell: Lessons 1-3
DEADLINE_ITERATIONS = 40      # a cell with delay-critical users: Lesson 1.3 and benchmarks.learning
DEADLINE_LR = 2e-3
DEADLINE_ENVS_PER_RUNNER = 32  # fewer, larger forward passes per sample(): faster sampling on a small machine


def _has_deadlines(env_config: dict | None) -> bool:
    from commenv.registration import make_env

    return make_env(env_config).unwrapped.has_deadlines  # make_env also takes the RLlib-only key episode_len


def course_iterations(env_config: dict | None = None) -> int:
    """How many ``train()`` calls the course gives PPO on this cell."""
    return DEADLINE_ITERATIONS if _has_deadlines(env_config) else ITERATIONS


def course_ppo_config(seed: int = 0, env_config: dict | None = None):
    """PPOConfig of Lesson 1: 2.60's names, sized to learn ``comm_env`` in about a minute on 2 CPUs."""
    import commenv.rllib
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from commenv.rllib.modules import DeadlinePairScorerModule, PairScorerModule

    deadlines = _has_deadlines(env_config)
    commenv.rllib.register()  # idempotent; also covers a Ray session started after an earlier one ended
    return (
        PPOConfig()
        .environment("comm_env", env_config=env_config or {})
        .env_runners(num_env_runners=0, num_envs_per_env_runner=DEADLINE_ENVS_PER_RUNNER if deadlines else 8)
        .learners(num_learners=0)
        .training(lr=DEADLINE_LR if deadlines else 1e-3, train_batch_size_per_learner=2000, minibatch_size=250,
                  num_epochs=10, gamma=0.95, lambda_=0.95, clip_param=0.2, entropy_coeff=0.0, vf_loss_coeff=0.5,
                  grad_clip=0.5, vf_clip_param=float("inf"), use_kl_loss=False, kl_coeff=0.0)
        .rl_module(rl_module_spec=RLModuleSpec(module_class=DeadlinePairScorerModule if deadlines
                                               else PairScorerModule),
                   model_config=DefaultModelConfig(fcnet_hiddens=[32, 32], fcnet_activation="tanh"))
        .fault_tolerance(restart_failed_env_runners=False)
        .debugging(log_sys_usage=False, seed=seed)
    )
