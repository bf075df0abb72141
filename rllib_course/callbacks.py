"""RLlib callbacks of the course: the radio metrics of commenv's episodes, in RLlib's own training results.

RLlib measures what every environment has: returns, lengths, steps. A scheduler is also judged by
what only this environment knows: the share of arriving traffic that was dropped, how fairly the
users were served (Jain's index), and how long data waited. ``RadioMetricsCallback`` reads them from
the ``info`` dict of each step and from the environment itself, and logs one value per finished
episode through the EnvRunner's ``MetricsLogger``, so they arrive in ``result["env_runners"]["radio"]``
(and in ``result["evaluation"]["env_runners"]["radio"]`` for evaluation episodes), averaged over the
episodes of the iteration, like RLlib's own ``episode_return_mean``.
"""
from __future__ import annotations

import numpy as np
from ray.rllib.callbacks.callbacks import RLlibCallback
from ray.rllib.utils.annotations import override

from commenv.config import TTI_S
from commenv.metrics import jain_fairness

RADIO = "radio"
METRICS = ("drop_rate", "jain_fairness", "mean_delay_ms", "head_of_line_delay_ms", "throughput_mbps")


def _sub_env(env, env_index: int):
    """The ``env_index``-th RadioSchedulingEnv inside the vector env RLlib passes to the callbacks."""
    envs = getattr(env, "envs", None)
    if envs is None:
        raise TypeError(f"RadioMetricsCallback needs a synchronous vector env (gym_env_vectorize_mode='SYNC') to "
                        f"read each copy's queues; got {type(env).__name__}")
    return envs[env_index].unwrapped


def episode_metrics(totals: dict) -> dict:
    """The radio metrics of one episode from its totals, as ``commenv.evaluate`` defines them for one episode."""
    steps = totals["steps"]
    delivered_per_tti = totals["delivered"].sum() / steps
    buffered_per_tti = totals["buffer_sum"] / steps
    arrived = totals["arrived"].sum()
    return {
        "drop_rate": float(totals["dropped"].sum() / arrived) if arrived > 0 else 0.0,
        "jain_fairness": jain_fairness(totals["delivered"]),
        "mean_delay_ms": float(buffered_per_tti / max(delivered_per_tti, 1e-9) * TTI_S * 1e3),
        "head_of_line_delay_ms": float(totals["hol_sum"] / (steps * totals["delivered"].size) * TTI_S * 1e3),
        "throughput_mbps": float(delivered_per_tti / TTI_S / 1e6),
    }


class RadioMetricsCallback(RLlibCallback):
    """Logs drops, fairness and delay of every finished comm_env episode to the training results.

    What changes from ``RLlibCallback`` (whose hooks all do nothing):

    * ``on_episode_start``: starts the episode's totals in ``episode.custom_data`` (RLlib copies that
      dict along when it cuts an episode into chunks at the end of a ``sample()``, so the totals
      survive an episode that spans two iterations);
    * ``on_episode_step``: adds the step's ``info`` (delivered, dropped, arrived bits per user,
      buffered bits) and each user's head-of-line delay, read from the environment copy itself;
    * ``on_episode_end``: turns the totals into ``METRICS`` (the definitions of ``commenv.evaluate``
      for one episode) and logs each with ``metrics_logger.log_value(("radio", name), value,
      window=window)``. A ``window`` makes it a mean (``reduce="mean"``): the EnvRunner keeps at most
      the last ``window`` values, and each time it reports its metrics (``get_metrics()``) it hands
      back their mean and empties the list. So a training result holds the mean over the episodes
      that finished during that iteration (the driver averages the reports), not over the last
      ``window`` episodes; RLlib logs its own ``episode_return_mean`` the same way.

    Configure it with ``config.callbacks(RadioMetricsCallback)``.
    """

    window = 100  # at most this many episodes per report; RLlib's default metrics_num_episodes_for_smoothing

    @override(RLlibCallback)
    def on_episode_start(self, *, episode, env_runner=None, metrics_logger=None, env=None, env_index, rl_module=None,
                         **kwargs) -> None:
        n_ues = _sub_env(env, env_index).n_ues
        episode.custom_data[RADIO] = {"steps": 0, "delivered": np.zeros(n_ues), "dropped": np.zeros(n_ues),
                                      "arrived": np.zeros(n_ues), "buffer_sum": 0.0, "hol_sum": 0.0}

    @override(RLlibCallback)
    def on_episode_step(self, *, episode, env_runner=None, metrics_logger=None, env=None, env_index, rl_module=None,
                        **kwargs) -> None:
        totals, info = episode.custom_data[RADIO], episode.get_infos(-1)
        totals["steps"] += 1
        totals["delivered"] += info["delivered_bits"]
        totals["dropped"] += info["dropped_bits"]
        totals["arrived"] += info["arrived_bits"]
        totals["buffer_sum"] += float(np.sum(info["buffer_bits"]))
        totals["hol_sum"] += float(np.sum(_sub_env(env, env_index).head_of_line_delay))

    @override(RLlibCallback)
    def on_episode_end(self, *, episode, env_runner=None, metrics_logger=None, env=None, env_index, rl_module=None,
                       **kwargs) -> None:
        for name, value in episode_metrics(episode.custom_data[RADIO]).items():
            metrics_logger.log_value((RADIO, name), value, window=self.window)
