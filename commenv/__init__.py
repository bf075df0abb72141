"""commenv: a small, honest radio-resource-scheduling environment for learning RLlib.

``import commenv`` registers the gymnasium id ``commenv/RadioScheduling-v1``;
``import commenv.rllib`` also registers the RLlib name ``comm_env`` (it imports Ray).
"""
from commenv.baselines import (BufferWeighted, ExpPF, GreedyDelivery, MaxThroughput, MLWDF, ProportionalFair,
                               RandomScheduler, RoundRobin, all_baselines, strong_baselines)
from commenv.bound import episode_bound, mean_bound
from commenv.config import SchedulerConfig, make_config
from commenv.env import RadioSchedulingEnv
from commenv.metrics import METRICS, evaluate, jain_fairness, run_episode
from commenv.registration import ENV_ID, EPISODE_LEN, make_env, register_gymnasium_id
from commenv.scenarios import DEFAULT, DELAY_CRITICAL

register_gymnasium_id()

__all__ = [
    "DEFAULT", "DELAY_CRITICAL", "ENV_ID", "EPISODE_LEN", "METRICS", "BufferWeighted", "ExpPF", "GreedyDelivery", "MLWDF", "MaxThroughput",
    "ProportionalFair", "RadioSchedulingEnv", "RandomScheduler", "RoundRobin", "SchedulerConfig", "all_baselines",
    "episode_bound", "evaluate", "jain_fairness", "make_config", "make_env", "mean_bound", "register_gymnasium_id",
    "run_episode", "strong_baselines",
]
