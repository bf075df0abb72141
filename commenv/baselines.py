"""Classic schedulers to beat: round robin, max-throughput, proportional fair, greedy.

A policy here is any callable ``policy(obs, env) -> action``: it may read the observation, or
the unwrapped environment's exact state (``env.bits_per_rbg``, ``env.buffer_bits``,
``env.avg_throughput``), which is the same information before normalisation. Stateful
policies have a ``reset()`` that ``commenv.evaluate`` calls at the start of every episode.

Every baseline is *buffer-aware*: it hands out RBGs one by one and never gives an RBG to a
user whose buffer is already covered while another user still has data waiting. Without
that, proportional fair scores below round robin because it keeps serving users with
nothing to send, which would make the comparison unfair to the classic schedulers.
"""
from __future__ import annotations

import numpy as np


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
        bits = env.bits_per_rbg
        remaining = env.buffer_bits.copy()
        scores = self.scores(env)
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
    """Fresh instances of every classic scheduler, keyed by display name."""
    return {p.name: p for p in (RoundRobin(), MaxThroughput(), ProportionalFair(), GreedyDelivery())}
