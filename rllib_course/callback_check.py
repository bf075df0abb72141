"""Check for Lesson 3.5's exercise: a per-episode radio metric, computed by hand, against what a callback logged in RLlib.

RLlib logs only the mean over the evaluation episodes. When the learner's mean differs from it, the check
also replays each episode itself and lists the learner's value next to the replay's, seed by seed, so the
learner sees which episodes are off (all of them, or only some).
"""
from __future__ import annotations

import numpy as np

from commenv.config import TTI_S
from commenv.registration import make_env
from rllib_course import exercise


def replay_head_of_line_delay_ms(policy, seed: int) -> float:
    """The callback's ``head_of_line_delay_ms`` of one episode, replayed from ``reset(seed=seed)`` with ``policy``."""
    env = make_env()
    obs, _ = env.reset(seed=seed)
    delays, done = [], False
    while not done:
        obs, _, terminated, truncated, _ = env.step(policy(obs, env))
        delays.append(float(np.mean(env.unwrapped.head_of_line_delay)))
        done = terminated or truncated
    return float(np.mean(delays)) * TTI_S * 1e3


def _per_episode(seeds, values, reference, rtol: float) -> str:
    """One line per episode: the learner's value and the reference's, marking those that differ."""
    lines = ["per episode, yours vs a replay of the same episode:"]
    for seed, value, want in zip(seeds, values, reference):
        mark = "" if np.isclose(value, want, rtol=rtol) else "   <- differs"
        lines.append(f"  seed {seed}: {value:.6f} vs {want:.6f}{mark}")
    return "\n".join(lines)


def check_episode_metric(fn, policy, seeds, logged_mean: float, strict: bool = False, rtol: float = 1e-6,
                         reference=replay_head_of_line_delay_ms) -> bool:
    """``fn(policy, seed)`` for each seed; the mean over the seeds must equal ``logged_mean`` (RLlib's value).

    When the mean differs, the message lists ``fn``'s value and ``reference(policy, seed)`` for each seed.
    """
    def attempt():
        values = [fn(policy, int(seed)) for seed in seeds]
        for seed, value in zip(seeds, values):
            assert isinstance(value, (float, int, np.floating)) and np.isfinite(value), (
                f"return one finite number per episode, got {value!r} for seed {seed}")
        ours = float(np.mean(values))
        if np.isclose(ours, logged_mean, rtol=rtol):
            return
        message = (f"your mean over the {len(values)} episodes is {ours:.6f}, the callback logged {logged_mean:.6f} "
                   "(read the delay after each step, average over users and steps, 1 TTI = 1 ms)")
        replayed = [reference(policy, int(seed)) for seed in seeds]
        if not np.isclose(np.mean(replayed), logged_mean, rtol=rtol):
            message += ("; a replay of these seeds does not match the logged value either: pass the `policy`, "
                        "`seeds` and logged value of section 2")
        raise AssertionError(f"{message}\n{_per_episode(seeds, values, replayed, rtol)}")
    return exercise.check("head-of-line delay of an episode", attempt, strict=strict)
