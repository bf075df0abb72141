"""Check for Lesson 3.5's exercise: a per-episode radio metric, computed by hand, against what a callback logged in RLlib."""
from __future__ import annotations

import numpy as np

from rllib_course import exercise


def check_episode_metric(fn, policy, seeds, logged_mean: float, strict: bool = False, rtol: float = 1e-6) -> bool:
    """``fn(policy, seed)`` for each seed; the mean over the seeds must equal ``logged_mean`` (RLlib's value)."""
    def attempt():
        values = [fn(policy, int(seed)) for seed in seeds]
        for seed, value in zip(seeds, values):
            assert isinstance(value, (float, int, np.floating)) and np.isfinite(value), (
                f"return one finite number per episode, got {value!r} for seed {seed}")
        ours = float(np.mean(values))
        assert np.isclose(ours, logged_mean, rtol=rtol), (
            f"your mean over the {len(values)} episodes is {ours:.6f}, the callback logged {logged_mean:.6f} "
            "(read the delay after each step, average over users and steps, 1 TTI = 1 ms)")
    return exercise.check("head-of-line delay of an episode", attempt, strict=strict)
