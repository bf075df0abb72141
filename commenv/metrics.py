"""Scoring a scheduler: ``evaluate`` runs whole episodes on common random numbers.

Every policy is scored on the same seeds, and the environment's randomness never depends on
the actions, so two policies see identical channels and traffic: differences in the
numbers come from the scheduling alone.
"""
from __future__ import annotations

import numpy as np

from commenv.config import TTI_S
from commenv.registration import make_env

METRICS = ("mean_return", "throughput_mbps", "drop_rate", "mean_buffer_kbit", "mean_delay_ms", "jain_fairness")


def jain_fairness(x) -> float:
    """Jain's index (sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one user gets everything."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError(f"jain_fairness needs a non-empty 1-D array of finite values >= 0, got {x!r}")
    total_sq = float(np.sum(x ** 2))
    return 1.0 if total_sq == 0 else float(np.sum(x) ** 2 / (x.size * total_sq))


def run_episode(policy, env, seed: int) -> dict:
    """One whole episode; returns its totals (return, bits delivered/dropped/arrived per user, ...)."""
    obs, _ = env.reset(seed=seed)
    if hasattr(policy, "reset"):
        policy.reset()
    n_ues = env.unwrapped.n_ues
    totals = {"return": 0.0, "steps": 0, "delivered": np.zeros(n_ues), "dropped": np.zeros(n_ues),
              "arrived": np.zeros(n_ues), "buffer_sum": 0.0}
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy(obs, env))
        totals["return"] += reward
        totals["steps"] += 1
        totals["delivered"] += info["delivered_bits"]
        totals["dropped"] += info["dropped_bits"] + info["expired_bits"]  # lost either way
        totals["arrived"] += info["arrived_bits"]
        totals["buffer_sum"] += info["buffer_bits"].sum()
        done = terminated or truncated
    return totals


def evaluate(policy, n_episodes: int = 10, seed: int = 0, env_config: dict | None = None,
             episode_len: int | None = None) -> dict:
    """Mean metrics of ``policy`` over ``n_episodes`` episodes seeded ``seed, seed+1, ...``.

    ``policy(obs, env) -> action`` may be a baseline from ``commenv.baselines`` or a trained RLlib
    module wrapped by ``commenv.rllib.module_policy``. Returns ``METRICS`` as floats:
    the mean episode return, delivered throughput (Mbit/s), share of arrived bits that were
    dropped (buffer full) or expired (past a delay-critical deadline), mean total buffer (kbit), mean delay (ms, Little's law: buffer / throughput) and
    Jain's fairness of the users' delivered throughput.
    """
    if not (isinstance(n_episodes, int) and n_episodes > 0):
        raise ValueError(f"n_episodes={n_episodes!r} must be a positive integer")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} must be an integer >= 0")
    env = make_env(env_config, episode_len=episode_len)
    runs = [run_episode(policy, env, int(seed) + i) for i in range(n_episodes)]
    steps = np.array([r["steps"] for r in runs], dtype=float)
    delivered = np.array([r["delivered"].sum() for r in runs]) / steps
    buffered = np.array([r["buffer_sum"] for r in runs]) / steps
    return {
        "mean_return": float(np.mean([r["return"] for r in runs])),
        "throughput_mbps": float(np.mean(delivered) / TTI_S / 1e6),
        "drop_rate": float(np.sum([r["dropped"].sum() for r in runs]) / np.sum([r["arrived"].sum() for r in runs])),
        "mean_buffer_kbit": float(np.mean(buffered) / 1e3),
        "mean_delay_ms": float(np.mean(buffered) / max(np.mean(delivered), 1e-9) * TTI_S * 1e3),
        "jain_fairness": float(np.mean([jain_fairness(r["delivered"]) for r in runs])),
    }
