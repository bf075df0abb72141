"""commenv: a small, honest radio-resource-scheduling environment for learning RLlib.

``import commenv`` registers the gymnasium id ``commenv/RadioScheduling-v0``;
``import commenv.rllib`` also registers the RLlib name ``comm_env`` (it imports Ray).
"""
from commenv.baselines import GreedyDelivery, MaxThroughput, ProportionalFair, RandomScheduler, RoundRobin, all_baselines
from commenv.config import SchedulerConfig, make_config
from commenv.env import RadioSchedulingEnv
from commenv.metrics import METRICS, evaluate, jain_fairness, run_episode
from commenv.registration import ENV_ID, EPISODE_LEN, make_env, register_gymnasium_id

register_gymnasium_id()

__all__ = [
    "ENV_ID", "EPISODE_LEN", "METRICS", "GreedyDelivery", "MaxThroughput", "ProportionalFair", "RadioSchedulingEnv",
    "RandomScheduler", "RoundRobin", "SchedulerConfig", "all_baselines", "evaluate", "jain_fairness", "make_config",
    "make_env", "register_gymnasium_id", "run_episode",
]
