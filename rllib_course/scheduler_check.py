"""Checking a hand-written scheduler: valid actions, buffer-aware, better than round robin.

The course's first exercise in scheduling asks the learner for a ``policy(obs, env) -> action``.
A wrong scheduler rarely crashes: it quietly returns floats, one user index too many, or
hands RBGs to users with nothing to send. ``check_scheduler`` finds those mistakes one at a
time, in the order a learner meets them, and says what is wrong in one sentence. It raises
``AssertionError`` so that ``rllib_course.exercise.check`` can turn the message into feedback.
"""
from __future__ import annotations

import numpy as np

from commenv.baselines import RoundRobin
from commenv.metrics import evaluate
from commenv.registration import make_env

# Episodes used to look for RBGs given to empty buffers: the default load, and a light one where
# buffers are often empty, so a scheduler that ignores the buffers is caught quickly.
AWARENESS_LOADS = (None, {"arrival_rate_mbps": 0.5})


def check_action(action, n_ues: int, n_rbgs: int) -> np.ndarray:
    """The action as an integer array of shape (n_rbgs,) with entries in [0, n_ues), or AssertionError."""
    assert action is not None, "your scheduler returned None: did you forget the `return`?"
    action = np.asarray(action)
    if action.shape == (n_ues, n_rbgs):
        raise AssertionError(f"your scheduler returned an array of shape {action.shape}, one score per (user, RBG); "
                             f"pick one user per RBG, e.g. scores.argmax(axis=0), shape ({n_rbgs},)")
    assert action.shape == (n_rbgs,), (f"your scheduler returned shape {action.shape}; it must return one user "
                                       f"index per RBG, shape ({n_rbgs},)")
    assert action.dtype.kind in "iu", (f"your scheduler returned {action.dtype} values {action.tolist()}; user "
                                       f"indices must be integers (argmax returns integers; or use .astype(int))")
    assert action.min() >= 0 and action.max() < n_ues, (f"your scheduler returned {action.tolist()}; every entry "
                                                         f"must be a user index in [0, {n_ues - 1}]")
    return action


def check_buffer_aware(policy, seed: int = 0, n_steps: int = 200) -> None:
    """AssertionError at the first TTI where an RBG goes to an empty buffer while another user waits.

    A user *waits* when the TTI's allocation leaves part of its buffer unsent and the RBG in question
    could carry some of it; once every waiting user is covered, spare RBGs may go to anyone.
    """
    for offset, env_config in enumerate(AWARENESS_LOADS):
        env = make_env(env_config)
        base = env.unwrapped
        obs, _ = env.reset(seed=seed + offset)
        if hasattr(policy, "reset"):
            policy.reset()
        for t in range(n_steps):
            buffers, bits = base.buffer_bits.copy(), base.bits_per_rbg
            action = check_action(policy(obs, env), base.n_ues, base.n_rbgs)
            # Data each user still has after this TTI's allocation: only those users are really waiting.
            granted = np.bincount(action, weights=bits[action, np.arange(base.n_rbgs)], minlength=base.n_ues)
            left = buffers - granted
            for rbg, user in enumerate(action.tolist()):
                could_use = np.flatnonzero((left > 0) & (bits[:, rbg] > 0))
                if buffers[user] == 0 and len(could_use):
                    other = int(could_use[np.argmax(left[could_use])])
                    raise AssertionError(
                        f"at TTI {t} (seed {seed + offset}) RBG {rbg} went to user {user}, whose buffer was empty, "
                        f"while user {other} had {left[other] / 1e3:.1f} kbit left over that this RBG could carry; "
                        f"give RBGs only to users with data (the buffer part of the observation is 0 when empty)")
            obs, *_ = env.step(action)


def check_scheduler(policy, n_episodes: int = 10, seed: int = 0) -> dict:
    """Check ``policy(obs, env) -> action``; return its ``evaluate`` metrics, or raise AssertionError saying why not.

    In order: it returns a valid action; it never gives an RBG to an empty buffer while another
    user waits; its mean return beats round robin's on the same ``n_episodes`` seeds.
    """
    check_buffer_aware(policy, seed=seed)
    mine = evaluate(policy, n_episodes=n_episodes, seed=seed)
    round_robin = evaluate(RoundRobin(), n_episodes=n_episodes, seed=seed)
    assert mine["mean_return"] > round_robin["mean_return"], (
        f"your scheduler's mean return {mine['mean_return']:.3f} does not beat round robin's "
        f"{round_robin['mean_return']:.3f} on the same {n_episodes} episodes; give more weight to the channel "
        f"quality, so that each RBG goes to a user who can use it well")
    return mine
