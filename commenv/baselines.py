"""Classic schedulers to beat: round robin, max-throughput, proportional fair, greedy, and stronger rules.

A policy here is any callable ``policy(obs, env) -> action``: it may read the observation, or
the unwrapped environment's exact state (``env.bits_per_rbg``, ``env.buffer_bits``,
``env.avg_throughput``), which is the same information before normalisation. The delay-aware
rules also read ``env.head_of_line_delay``, which the observation does not carry. Stateful
policies have a ``reset()`` that ``commenv.evaluate`` calls at the start of every episode.

``all_baselines()`` gives the four textbook rules the lessons compare with; ``strong_baselines()``
gives the rules a radio engineer would tune for this cell: the buffer-weighted CQI rule of
Lesson 1.2's exercise, and the delay-aware M-LWDF and EXP/PF.

Every baseline is *buffer-aware*: it hands out RBGs one by one and never gives an RBG to a
user whose buffer is already covered while another user still has data waiting. Without
that, proportional fair scores below round robin because it keeps serving users with
nothing to send, which would make the comparison unfair to the classic schedulers.
"""
from __future__ import annotations

import math

import numpy as np

from commenv.channel import MAX_CQI
from commenv.registration import make_env


class BufferAwareScheduler:
    """Hands out RBGs in order, each to the highest-scoring user that still has data left.

    Subclasses define ``scores(env)`` -> (n_ues, n_rbgs) priorities; this class handles the
    buffers, so every scheduler wastes capacity only when every buffer is covered.
    """

    name = "buffer-aware"

    def reset(self) -> None:
        pass

    def scores(self, env) -> np.ndarray:
        raise NotImplementedError

    def rbg_scores(self, scores: np.ndarray, bits: np.ndarray, remaining: np.ndarray, rbg: int) -> np.ndarray:
        """Priorities of the users for one RBG, given the data they still have after earlier RBGs."""
        return scores[:, rbg]

    def __call__(self, obs, env) -> np.ndarray:
        env = env.unwrapped
        return self.allocate(env, self.scores(env))

    def allocate(self, env, scores: np.ndarray) -> np.ndarray:
        """The action: RBGs in order, each to the highest-scoring user (``scores``, (n_ues, n_rbgs)) with data left."""
        bits = env.bits_per_rbg
        remaining = env.buffer_bits.copy()
        action = np.zeros(env.n_rbgs, dtype=np.int64)
        for rbg in range(env.n_rbgs):
            column = self.rbg_scores(scores, bits, remaining, rbg)
            waiting = remaining > 0
            if waiting.any():
                column = np.where(waiting, column, -np.inf)
            user = int(np.argmax(column))
            action[rbg] = user
            remaining[user] = max(remaining[user] - bits[user, rbg], 0.0)
        return action


class RoundRobin(BufferAwareScheduler):
    """Channel-blind: users take turns; the turn moves on by one user every TTI."""

    name = "round robin"

    def reset(self) -> None:
        self.turn = 0

    def scores(self, env) -> np.ndarray:
        if not hasattr(self, "turn"):
            self.reset()
        # Priority falls with the distance (in user index) from whose turn it is, then cycles per RBG.
        order = (np.arange(env.n_ues)[:, None] - self.turn - np.arange(env.n_rbgs)[None, :]) % env.n_ues
        self.turn = (self.turn + 1) % env.n_ues
        return -order.astype(float)


class MaxThroughput(BufferAwareScheduler):
    """Max-CQI: every RBG goes to the user with the best channel on it."""

    name = "max throughput"

    def scores(self, env) -> np.ndarray:
        return env.bits_per_rbg.astype(float)


class ProportionalFair(BufferAwareScheduler):
    """Rate now divided by the user's recent average throughput: good channels, but everyone's turn."""

    name = "proportional fair"

    def scores(self, env) -> np.ndarray:
        return env.bits_per_rbg / (env.avg_throughput[:, None] + 1.0)


class GreedyDelivery(BufferAwareScheduler):
    """Maximises the bits delivered this TTI: each RBG to the user it delivers most data to."""

    name = "greedy delivery"

    def scores(self, env) -> np.ndarray:
        return env.bits_per_rbg

    def rbg_scores(self, scores, bits, remaining, rbg):
        return np.minimum(bits[:, rbg], remaining)


def _check_weight(name: str, value) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}={value!r} must be a finite number >= 0")
    return float(value)


def _check_probability(value) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1):
        raise ValueError(f"violation_probability={value!r} must lie in (0, 1)")
    return float(value)


class BufferWeighted(BufferAwareScheduler):
    """Channel quality boosted by buffer fill: ``cqi / 15 * (1 + weight * buffer / buffer_size)``.

    The rule of Lesson 1.2's exercise. A filling buffer is about to drop packets, and a drop costs
    as much as a delivery earns, so a user close to overflowing is worth serving on a worse RBG.
    A delay-critical user's packets expire long before its buffer fills, so for it the boost is
    ``deadline_weight * head-of-line delay / deadline_ttis`` instead: urgency, not fill.
    ``deadline_weight=None`` keeps the exercise's rule as written, buffer fill for every user.
    The defaults are the best on tuning episodes (seeds 20000 and up), never on the held-out ones:
    ``weight`` for the default cell, both for ``commenv.DELAY_CRITICAL`` (``TUNED``;
    ``python -m benchmarks.baselines`` runs the sweeps).
    """

    name = "buffer weighted"
    DEFAULT_WEIGHT = 5.0
    DEFAULT_DEADLINE_WEIGHT = 5.0
    TUNED_FOR_DEADLINES = (DEFAULT_WEIGHT, DEFAULT_DEADLINE_WEIGHT)  # best on DELAY_CRITICAL's tuning episodes

    def __init__(self, weight: float = DEFAULT_WEIGHT, deadline_weight: float | None = DEFAULT_DEADLINE_WEIGHT):
        self.weight = _check_weight("weight", weight)
        self.deadline_weight = None if deadline_weight is None else _check_weight("deadline_weight", deadline_weight)

    def scores(self, env) -> np.ndarray:
        boost = self.weight * env.buffer_bits / env.config.buffer_size_bits
        if env.has_deadlines and self.deadline_weight is not None:
            urgency = self.deadline_weight * env.head_of_line_delay / env.config.deadline_ttis
            boost = np.where(env.critical, urgency, boost)
        return env.channel.cqi / MAX_CQI * (1.0 + boost[:, None])


class MLWDF(BufferAwareScheduler):
    """Modified largest weighted delay first: ``a * HOL delay * rate now / average throughput``.

    Proportional fair, multiplied by how long each user's oldest packet has waited (Andrews et
    al., 2001), so a user whose queue ages gets served before it overflows. The QoS factor
    ``a = -log(delta) / tau`` is the same for every user of the default cell (one traffic class),
    so it scales all priorities alike and changes no decision: the rule has no parameter to tune.
    With delay-critical users it is used as in LTE practice (Capozzi et al., 2013): those users get
    ``a * delay`` with ``tau = deadline_ttis``, best-effort users plain proportional fair; then
    ``delta`` sets how much a late critical packet outweighs best effort (``TUNED_FOR_DEADLINES``).
    """

    name = "M-LWDF"
    TUNED_FOR_DEADLINES = 0.05  # delta, best on DELAY_CRITICAL's tuning episodes

    def __init__(self, violation_probability: float = TUNED_FOR_DEADLINES):
        self.violation_probability = _check_probability(violation_probability)

    def scores(self, env) -> np.ndarray:
        weight = env.head_of_line_delay.astype(float)
        if env.has_deadlines:
            a = -math.log(self.violation_probability) / env.config.deadline_ttis
            weight = np.where(env.critical, a * weight, 1.0)
        return weight[:, None] * env.bits_per_rbg / (env.avg_throughput[:, None] + 1.0)


class ExpPF(BufferAwareScheduler):
    """EXP/PF: proportional fair times ``exp((a W - mean a W) / (1 + sqrt(mean a W)))``.

    ``W`` is each user's head-of-line delay and ``a = -log(delta) / tau`` (target delay ``tau`` in
    TTIs, allowed violation probability ``delta``); the mean runs over the users with data. While
    delays are alike it is proportional fair; a user whose delay runs ahead of the others gets an
    exponentially growing priority (Rhee et al., 2003). The default target is the best of
    5, 10, 20, 40 and 80 TTIs on the tuning episodes (``python -m benchmarks.baselines``).
    With delay-critical users it is the rule of the paper, made for mixed traffic: the boost,
    with ``tau = deadline_ttis`` and the mean over the delay-critical users with data, goes to
    those users; best-effort users get plain proportional fair.
    """

    name = "EXP/PF"
    DEFAULT_TARGET_TTI = 40.0
    TUNED_FOR_DEADLINES = 0.05  # delta, best on DELAY_CRITICAL's tuning episodes (tau is the deadline there)

    def __init__(self, target_delay_tti: float = DEFAULT_TARGET_TTI, violation_probability: float = 0.05):
        if not (isinstance(target_delay_tti, (int, float)) and math.isfinite(target_delay_tti)
                and target_delay_tti > 0):
            raise ValueError(f"target_delay_tti={target_delay_tti!r} must be a finite number > 0")
        self.target_delay_tti = float(target_delay_tti)
        self.violation_probability = _check_probability(violation_probability)
        self.a = -math.log(violation_probability) / target_delay_tti

    def scores(self, env) -> np.ndarray:
        if env.has_deadlines:
            a = -math.log(self.violation_probability) / env.config.deadline_ttis
            real_time = env.critical
        else:
            a, real_time = self.a, np.ones(len(env.buffer_bits), dtype=bool)
        weighted_delay = a * env.head_of_line_delay.astype(float)
        waiting = (env.buffer_bits > 0) & real_time
        mean = float(weighted_delay[waiting].mean()) if waiting.any() else 0.0
        boost = np.where(real_time, np.exp((weighted_delay - mean) / (1.0 + math.sqrt(mean))), 1.0)
        return boost[:, None] * env.bits_per_rbg / (env.avg_throughput[:, None] + 1.0)


class RandomScheduler:
    """Uniformly random allocation, the floor every scheduler should clear."""

    name = "random"

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, obs, env) -> np.ndarray:
        env = env.unwrapped
        return self.rng.integers(0, env.n_ues, size=env.n_rbgs)


def all_baselines() -> dict:
    """Fresh instances of the four textbook schedulers the lessons compare with, keyed by display name."""
    return {p.name: p for p in (RoundRobin(), MaxThroughput(), ProportionalFair(), GreedyDelivery())}


def strong_baselines(env_config: dict | None = None) -> dict:
    """Fresh instances of the tuned rules (buffer weighted, M-LWDF, EXP/PF), keyed by display name.

    With delay-critical users in ``env_config`` each rule takes the parameters tuned for
    ``commenv.DELAY_CRITICAL`` (each class's ``TUNED_FOR_DEADLINES``). Kept apart from
    ``all_baselines`` so that the lessons' stored tables stay as they are;
    ``{**all_baselines(), **strong_baselines(env_config)}`` is every baseline.
    """
    if make_env(env_config).unwrapped.has_deadlines:  # make_env also takes the key episode_len
        rules = (BufferWeighted(*BufferWeighted.TUNED_FOR_DEADLINES), MLWDF(MLWDF.TUNED_FOR_DEADLINES),
                 ExpPF(violation_probability=ExpPF.TUNED_FOR_DEADLINES))
    else:
        rules = (BufferWeighted(), MLWDF(), ExpPF())
    return {p.name: p for p in rules}
