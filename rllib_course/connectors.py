"""``GroupedMeanStdFilter``: an env-to-module ConnectorV2 piece that standardises observations.

It keeps running means and variances of the observations it sees, as RLlib's own
``ray.rllib.connectors.env_to_module.MeanStdFilter`` does, with one difference that matters for
``comm_env``: the statistics are kept per *group* of observation entries, not per entry. All CQIs of
all (user, RBG) pairs share one mean and one standard deviation, all buffers another, all
throughputs a third. A shared shift and scale keeps the order of the entries within a group, so
"which user has the best channel on this RBG" reads the same before and after the filter, and the
permutation symmetry that ``PairScorerModule`` builds on survives. A filter per entry would give
every (user, RBG) pair its own shift and scale and break both.

Like ``MeanStdFilter``, the piece writes the standardised observation back into the episode, so
that the Learner trains on exactly what the EnvRunner's module saw, and its statistics are state:
they travel in weight-sync-like connector syncs, in ``get_state``/``set_state`` and in checkpoints
(``env_runner/env_to_module_connector/GroupedMeanStdFilter/state.pkl`` in an Algorithm's
checkpoint). A deployment must load them and apply the same transform, with ``update_stats=False``.
"""
from __future__ import annotations

from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from ray.rllib.connectors.connector_v2 import ConnectorV2
from ray.rllib.utils.annotations import override

Stats = dict[str, list[float]]  # {"count": [...], "mean": [...], "m2": [...]}, one entry per group


def scheduler_groups(n_ues: int, n_rbgs: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of comm_env's three observation parts: CQI per (user, RBG), buffer fill, throughput."""
    cqi = n_ues * n_rbgs
    return [(0, cqi), (cqi, cqi + n_ues), (cqi + n_ues, cqi + 2 * n_ues)]


def empty_stats(n_groups: int) -> Stats:
    return {"count": [0.0] * n_groups, "mean": [0.0] * n_groups, "m2": [0.0] * n_groups}


def combine(a: Stats, b: Stats) -> Stats:
    """Pool two sets of running statistics, group by group (Chan et al.'s parallel formula)."""
    na, nb = np.asarray(a["count"], float), np.asarray(b["count"], float)
    ma, mb = np.asarray(a["mean"], float), np.asarray(b["mean"], float)
    n = na + nb
    safe = np.where(n > 0, n, 1.0)
    delta = mb - ma
    mean = np.where(n > 0, ma + delta * nb / safe, 0.0)
    m2 = np.asarray(a["m2"], float) + np.asarray(b["m2"], float) + delta**2 * na * nb / safe
    return {"count": n.tolist(), "mean": mean.tolist(), "m2": m2.tolist()}


def std_of(stats: Stats, group: int) -> float:
    """The sample standard deviation of one group (0 while it has seen fewer than two values)."""
    count = stats["count"][group]
    return float(np.sqrt(max(stats["m2"][group], 0.0) / (count - 1))) if count > 1 else 0.0


def stats_of(values: Sequence[np.ndarray]) -> Stats:
    """Statistics of a few arrays, one array per group (any shape; all its entries count)."""
    values = [np.asarray(v, float).ravel() for v in values]
    return {"count": [float(v.size) for v in values],
            "mean": [float(v.mean()) if v.size else 0.0 for v in values],
            "m2": [float(((v - v.mean()) ** 2).sum()) if v.size else 0.0 for v in values]}


class GroupedMeanStdFilter(ConnectorV2):
    """Changes from ``ConnectorV2``: standardises the latest observation of every episode, in place.

    ``groups``: ``(start, stop)`` ranges of the flat observation whose entries share one mean and one
    standard deviation (``scheduler_groups`` gives comm_env's); entries outside every range pass
    unchanged. ``None`` gives every entry a group of its own, like RLlib's ``MeanStdFilter``.
    ``update_stats``: whether each call adds the raw observations to the statistics (turn it off
    for evaluation and deployment). ``clip``: the standardised values are clipped to ``[-clip, clip]``
    (RLlib's default, 10). ``epsilon``: added to the standard deviation before dividing (RLlib's 1e-6).

    State (``get_state``): the statistics everyone agreed on at the last ``set_state`` (``synced``)
    and those of the observations seen since (``new``), so that ``merge_states`` can pool several
    EnvRunners' new data without counting the shared part twice.
    """

    def __init__(self, input_observation_space=None, input_action_space=None, *,
                 groups: Sequence[tuple[int, int]] | None = None, update_stats: bool = True,
                 clip: float = 10.0, epsilon: float = 1e-6, **kwargs):
        self.groups = None if groups is None else [(int(a), int(b)) for a, b in groups]
        self.update_stats = update_stats
        self.clip = float(clip)
        self.epsilon = float(epsilon)
        self._synced: Stats | None = None
        self._new: Stats | None = None
        super().__init__(input_observation_space, input_action_space, **kwargs)

    # -- spaces -------------------------------------------------------------------------------
    @override(ConnectorV2)
    def recompute_output_observation_space(self, input_observation_space, input_action_space):
        if not isinstance(input_observation_space, gym.spaces.Box) or len(input_observation_space.shape) != 1:
            raise ValueError(f"GroupedMeanStdFilter needs a flat Box observation space, not {input_observation_space}")
        size = input_observation_space.shape[0]
        groups = self.groups if self.groups is not None else [(i, i + 1) for i in range(size)]
        for start, stop in groups:
            if not 0 <= start < stop <= size:
                raise ValueError(f"group ({start}, {stop}) does not fit an observation of {size} entries")
        self.groups = groups
        if self._synced is None or len(self._synced["count"]) != len(groups):
            self._synced, self._new = empty_stats(len(groups)), empty_stats(len(groups))
        low = np.array(input_observation_space.low, dtype=np.float32)
        high = np.array(input_observation_space.high, dtype=np.float32)
        for start, stop in groups:  # standardised entries lie in [-clip, clip]; the others keep their bounds
            low[start:stop], high[start:stop] = -self.clip, self.clip
        return gym.spaces.Box(low, high, dtype=np.float32)

    # -- the transform ------------------------------------------------------------------------
    @property
    def stats(self) -> Stats:
        """All observations seen so far: the synced statistics pooled with the new ones."""
        return combine(self._synced, self._new)

    def standardize(self, obs: np.ndarray, stats: Stats | None = None) -> np.ndarray:
        """``(obs - mean) / (std + epsilon)`` per group, clipped; ``stats`` defaults to this piece's own.

        The standard deviation is the sample one (divided by ``n - 1``, 0 until a group has seen two
        values), as in RLlib's ``RunningStat``, and ``epsilon`` is RLlib's floor, so that with
        ``groups=None`` this piece gives the same numbers as RLlib's ``MeanStdFilter``.
        """
        stats = stats or self.stats
        out = np.array(obs, dtype=np.float64)  # a copy: the episode's raw observation stays untouched
        for g, (start, stop) in enumerate(self.groups):
            scaled = (out[..., start:stop] - stats["mean"][g]) / (std_of(stats, g) + self.epsilon)
            out[..., start:stop] = np.clip(scaled, -self.clip, self.clip)
        return out.astype(np.float32)

    @override(ConnectorV2)
    def __call__(self, *, rl_module, batch: dict[str, Any], episodes, explore=None, shared_data=None,
                 **kwargs) -> Any:
        for episode in self.single_agent_episode_iterator(episodes):
            raw = np.asarray(episode.get_observations(-1), dtype=np.float32)
            if self.update_stats:
                self._new = combine(self._new, stats_of([raw[start:stop] for start, stop in self.groups]))
            # Write back into the episode: the default pieces after this one put the episode's latest
            # observation into the batch, and the Learner later reads the same episode.
            episode.set_observations(at_indices=-1, new_data=self.standardize(raw))
            episode.observation_space = self.observation_space
        return batch

    # -- state --------------------------------------------------------------------------------
    @override(ConnectorV2)
    def get_state(self, components=None, *, not_components=None, **kwargs) -> dict[str, Any]:
        return {"groups": [list(g) for g in self.groups or []], "synced": self._synced, "new": self._new}

    @override(ConnectorV2)
    def set_state(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self.groups = [tuple(g) for g in state["groups"]]
        self._synced = {key: list(values) for key, values in state["synced"].items()}
        self._new = {key: list(values) for key, values in state["new"].items()}

    @override(ConnectorV2)
    def reset_state(self) -> None:
        if self.groups is not None:
            self._synced, self._new = empty_stats(len(self.groups)), empty_stats(len(self.groups))

    @override(ConnectorV2)
    def merge_states(self, states: list[dict[str, Any]]) -> dict[str, Any]:
        """Pool the new data of every EnvRunner's piece (and this one's) into the shared statistics."""
        merged = self.stats
        for state in states:
            if state:
                merged = combine(merged, state["new"])
        return {"groups": [list(g) for g in self.groups], "synced": merged, "new": empty_stats(len(self.groups))}
