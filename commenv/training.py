"""The course's PPO recipe for ``comm_env`` and a small-machine-safe Ray start.

Lesson 1 writes the same config out line by line; keeping it here too lets the learning
benchmark (``benchmarks/learning.py``) and the tests train exactly what the lesson trains.
"""
from __future__ import annotations

import logging
import os


STARTUP_ATTEMPTS = 3


def start_ray(num_cpus: int | None = None) -> int:
    """Start Ray quietly with at most 2 CPUs (never more than the machine has); return the CPUs given.

    RLlib waits forever, without a word, for CPUs that Ray does not have, so every notebook
    asks Ray for what exists and configures at most that many EnvRunners.
    """
    import ray
    import torch

    torch.set_num_threads(1)
    logging.getLogger("ray.rllib").setLevel(logging.ERROR)
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    num_cpus = min(2, available) if num_cpus is None else num_cpus
    if not (isinstance(num_cpus, int) and 1 <= num_cpus <= available):
        raise ValueError(f"num_cpus={num_cpus!r} must be an integer in [1, {available}] (this machine's CPUs)")
    for attempt in range(1, STARTUP_ATTEMPTS + 1):
        if ray.is_initialized():
            break
        try:
            ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False,
                     object_store_memory=100 * 1024 * 1024)
        except Exception as error:  # Ray gives its raylet 30 s to start; a busy machine can need longer
            ray.shutdown()
            if "timed out during startup" not in str(error) or attempt == STARTUP_ATTEMPTS:
                raise
    # Tune's registry hands names to the Ray session that is running (or to the next one): after a
    # ray.shutdown() and a new start in the same process, comm_env must be registered again.
    import commenv.rllib

    commenv.rllib.register()
    return int(ray.cluster_resources().get("CPU", num_cpus))


def course_ppo_config(seed: int = 0, env_config: dict | None = None):
    """PPOConfig of Lesson 1: 2.60's names, sized to learn ``comm_env`` in about a minute on 2 CPUs."""
    import commenv.rllib
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from commenv.modules import PairScorerModule

    commenv.rllib.register()  # idempotent; also covers a Ray session started after an earlier one ended
    return (
        PPOConfig()
        .environment("comm_env", env_config=env_config or {})
        .env_runners(num_env_runners=0, num_envs_per_env_runner=8)
        .learners(num_learners=0)
        .training(lr=1e-3, train_batch_size_per_learner=2000, minibatch_size=250, num_epochs=10,
                  gamma=0.95, lambda_=0.95, clip_param=0.2, entropy_coeff=0.0, vf_loss_coeff=0.5,
                  grad_clip=0.5, vf_clip_param=float("inf"), use_kl_loss=False, kl_coeff=0.0)
        .rl_module(rl_module_spec=RLModuleSpec(module_class=PairScorerModule),
                   model_config=DefaultModelConfig(fcnet_hiddens=[32, 32], fcnet_activation="tanh"))
        .fault_tolerance(restart_failed_env_runners=False)
        .debugging(log_sys_usage=False, seed=seed)
    )
