"""Checking a hand-written GAE against the advantages that RLlib's Learner connector computed.

PPO's Learner turns episodes into a train batch. Its last connector piece,
``GeneralAdvantageEstimation``, runs the value head on every row, computes value targets with the
GAE recursion for each episode piece, takes ``advantages = value_targets - values`` and then
standardises them over the whole batch. The Lesson 2 exercise asks for the recursion of one piece.
``check_gae`` runs the learner's function on every piece of a real batch and compares the result
with RLlib's own columns, so an answer is judged by RLlib, not by a copy of the solution. When an
answer is wrong, it names the usual mistake in one sentence.
"""
from __future__ import annotations

import numpy as np


def episode_pieces(loss_mask) -> list[tuple[int, int]]:
    """``(start, stop)`` of the real rows of each episode piece in a Learner batch.

    The connector appends one extra row after every piece (``loss_mask`` False there), holding the
    observation after the piece's last step: row ``stop`` is that bootstrap row.
    """
    mask = np.asarray(loss_mask, dtype=bool)
    ends = np.flatnonzero(~mask)
    if mask.ndim != 1 or len(ends) == 0 or ends[-1] != len(mask) - 1:
        raise ValueError("loss_mask must be 1-D and end with the False row of the last episode piece")
    starts = np.concatenate([[0], ends[:-1] + 1])
    return [(int(start), int(stop)) for start, stop in zip(starts, ends)]


def standardize(x) -> np.ndarray:
    """What RLlib does to the advantages of the whole batch: zero mean, unit std (std at least 1e-4)."""
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / max(1e-4, float(x.std()))


def _gae(rewards, values, gamma, lambda_):
    """The recursion, only used to name a wrong answer's mistake (the verdict comes from RLlib's columns)."""
    deltas = rewards + gamma * values[1:] - values[:-1]
    advantages, running = np.zeros(len(deltas)), 0.0
    for t in reversed(range(len(deltas))):
        running = deltas[t] + gamma * lambda_ * running
        advantages[t] = running
    return advantages


def _close(a, b) -> bool:
    return bool(np.allclose(a, b, rtol=1e-4, atol=1e-4))


def _mistake(got, rewards, values, gamma, lambda_, want) -> str:
    """One sentence about what ``got`` computed instead of RLlib's advantages ``want``."""
    no_bootstrap = np.append(values[:-1], 0.0)
    guesses = [
        (want + values[:-1], "those are the value targets (advantage + value); return only the advantages"),
        (standardize(want), "you standardised the advantages; RLlib does that once over the whole batch, "
                            "so return them raw"),
        (_gae(rewards, no_bootstrap, gamma, lambda_), "you treated the step after the last one as worth 0; the "
                                                      "piece was cut by the time limit, not ended, so bootstrap "
                                                      "with values[-1]"),
        (rewards + gamma * values[1:] - values[:-1], "that is the one-step TD error delta_t; GAE adds the later "
                                                     "deltas too, weighted by (gamma * lambda_) ** k"),
        (_gae(rewards, values, gamma, 1.0), "you used lambda_ = 1 (discounted return minus value); weight the "
                                            "later deltas by (gamma * lambda_) ** k"),
        (_gae(rewards, values, 1.0, lambda_), "the discount gamma is missing"),
    ]
    for guess, message in guesses:
        if got.shape == guess.shape and _close(got, guess):
            return message
    t = int(np.argmax(~np.isclose(got, want, rtol=1e-4, atol=1e-4)))
    return (f"first difference at step t={t} of {len(want)}: yours {got[t]:.4f}, RLlib's {want[t]:.4f} "
            "(the recursion runs backwards, from the last step to the first)")


def check_gae(gae, batch: dict, values, gamma: float, lambda_: float) -> None:
    """``gae(rewards, values, gamma, lambda_)`` must give RLlib's advantages on every piece of ``batch``.

    ``batch``: the Learner connector's output for one module (numpy arrays or torch tensors) with
    the columns ``rewards``, ``loss_mask``, ``value_targets`` and ``advantages``. ``values``: the value
    head's output on every row of ``batch``, as the connector computed it. The learner's function gets
    one piece at a time: ``rewards`` (T,) and ``values`` (T + 1,), whose last entry belongs to the
    bootstrap row. Raises ``AssertionError`` with one sentence when something is wrong.
    """
    rewards = np.asarray(batch["rewards"], dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    raw = np.asarray(batch["value_targets"], dtype=np.float64) - values  # RLlib's advantages, not yet standardised
    assembled = raw.copy()  # bootstrap rows keep RLlib's values: masked out of the loss, but part of the mean and std
    for k, (start, stop) in enumerate(episode_pieces(batch["loss_mask"])):
        piece_rewards, piece_values = rewards[start:stop], values[start:stop + 1]
        got = gae(piece_rewards.copy(), piece_values.copy(), gamma, lambda_)
        assert got is not None, "your function returned None: did you forget the `return`?"
        got = np.asarray(got, dtype=np.float64)
        assert got.shape == piece_rewards.shape, (
            f"episode piece {k} has {stop - start} steps, so return {stop - start} advantages, "
            f"shape {piece_rewards.shape}, not {got.shape}")
        if not _close(got, raw[start:stop]):
            raise AssertionError(f"episode piece {k}: "
                                 + _mistake(got, piece_rewards, piece_values, gamma, lambda_, raw[start:stop]))
        assembled[start:stop] = got
    assert _close(standardize(assembled), np.asarray(batch["advantages"], dtype=np.float64)), (
        "every piece matches RLlib's value targets, but the standardised batch differs from RLlib's advantages: "
        "were batch and values computed with the same weights?")
