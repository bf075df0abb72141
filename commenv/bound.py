"""The clairvoyant bound: how far from perfect is a scheduler?

No scheduler knows the future, but the channel and the traffic of an episode never depend on the
actions (``reset`` spawns them their own random streams), so after the fact the episode's every
fading value and arrival is known. ``episode_bound`` replays the episode to read them and solves
a linear program that schedules with that knowledge and is relaxed where a scheduler is bound:

- an RBG may be split among users in any fractions (a scheduler gives it to one user whole);
- arriving traffic is a fluid: it may fill a buffer to the last bit (the queue accepts whole
  packets only), and it may even be dropped by choice.

Every schedule the environment can play is a feasible point of the LP with the same value, so the
LP optimum is an upper bound on the return of every policy, learned or not. Its reward is the
environment's: ``(delivered - drop_penalty * dropped) / offered`` summed over the episode.

Needs scipy (``pip install 'commenv[bound]'``); it is imported only when a bound is computed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commenv.config import SchedulerConfig
from commenv.registration import make_env


@dataclass(frozen=True)
class EpisodeDraws:
    """What chance decides in one episode: it is the same whatever the scheduler does."""

    bits: np.ndarray            # (T, n_ues, n_rbgs) bits one RBG carries for each user at each TTI
    arrived: np.ndarray         # (T, n_ues) bits arriving at each user during each TTI
    initial_buffer: np.ndarray  # (n_ues,) bits buffered at reset
    config: SchedulerConfig


def episode_draws(seed: int, env_config: dict | None = None, episode_len: int | None = None,
                  policy=None) -> EpisodeDraws:
    """Play the episode ``seed`` once (with ``policy``, or always user 0) and record its channel and arrivals."""
    env = make_env(env_config, episode_len=episode_len)
    obs, _ = env.reset(seed=seed)
    base = env.unwrapped
    if policy is not None and hasattr(policy, "reset"):
        policy.reset()
    initial_buffer = base.buffer_bits.copy()
    fixed = np.zeros(base.n_rbgs, dtype=np.int64)
    bits, arrived, done = [], [], False
    while not done:
        bits.append(base.bits_per_rbg.copy())
        obs, _, terminated, truncated, info = env.step(fixed if policy is None else policy(obs, env))
        arrived.append(info["arrived_bits"].copy())
        done = terminated or truncated
    return EpisodeDraws(np.array(bits), np.array(arrived), initial_buffer, base.config)


def lp_bound(draws: EpisodeDraws) -> float:
    """The LP optimum of the episode's return, given its whole channel and traffic in advance.

    Per TTI ``t`` and user ``u`` (bits in units of one user's mean offered load per TTI):

    - ``x[t,u,r]`` in [0, 1], share of RBG ``r``;  ``sum_u x[t,u,r] <= 1``
    - ``d[t,u] >= 0`` delivered: ``d <= sum_r bits[t,u,r] x[t,u,r]`` and ``d <=`` the buffer before ``t``
    - ``a[t,u]`` in [0, arrived[t,u]] accepted, the rest dropped
    - ``b[t,u]`` in [0, buffer_size] buffer after ``t``: ``b[t] = b[t-1] - d[t] + a[t]``, ``b[-1]`` = initial

    maximise ``sum (d - drop_penalty * (arrived - a))``, divided by the cell's offered load per TTI.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    c = draws.config
    unit = c.mean_arrival_bits_per_tti  # rescaled so every quantity is of order 1 (better conditioned)
    bits, arrived, start = draws.bits / unit, draws.arrived / unit, draws.initial_buffer / unit
    n_t, n_u, n_r = bits.shape
    n_x, n_tu = n_t * n_u * n_r, n_t * n_u
    x = np.arange(n_x).reshape(n_t, n_u, n_r)
    d, a, b = (n_x + k * n_tu + np.arange(n_tu).reshape(n_t, n_u) for k in range(3))
    tu = np.arange(n_tu).reshape(n_t, n_u)
    rows, cols, vals, rhs = [], [], [], []

    def add(row, col, val):
        rows.append(np.ravel(row)), cols.append(np.ravel(col)), vals.append(np.broadcast_to(val, np.shape(col)).ravel())

    # RBG shares: one row per (t, r).
    add(np.broadcast_to((np.arange(n_t)[:, None] * n_r + np.arange(n_r))[:, None, :], x.shape), x, 1.0)
    rhs.append(np.ones(n_t * n_r))
    # Delivered <= capacity granted: one row per (t, u).
    offset = n_t * n_r
    add(offset + tu, d, 1.0)
    add(np.broadcast_to((offset + tu)[:, :, None], x.shape), x, -bits)
    rhs.append(np.zeros(n_tu))
    # Delivered <= buffer before the TTI: b[t-1], or the initial buffer at t = 0.
    offset += n_tu
    add(offset + tu, d, 1.0)
    add(offset + tu[1:], b[:-1], -1.0)
    rhs.append(np.concatenate([start, np.zeros(n_tu - n_u)]))
    n_vars = n_x + 3 * n_tu
    a_ub = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(offset + n_tu, n_vars))
    # Buffer dynamics: b[t] - b[t-1] + d[t] - a[t] = 0, with b[-1] the initial buffer.
    eq_rows = np.concatenate([tu.ravel(), tu.ravel(), tu.ravel(), tu[1:].ravel()])
    eq_cols = np.concatenate([b.ravel(), d.ravel(), a.ravel(), b[:-1].ravel()])
    eq_vals = np.concatenate([np.ones(n_tu), np.ones(n_tu), -np.ones(n_tu), -np.ones(n_tu - n_u)])
    a_eq = sparse.csr_array((eq_vals, (eq_rows, eq_cols)), shape=(n_tu, n_vars))
    b_eq = np.concatenate([start, np.zeros(n_tu - n_u)])
    bounds = np.zeros((n_vars, 2))
    bounds[:n_x, 1] = 1.0
    bounds[d.ravel(), 1] = np.inf
    bounds[a.ravel(), 1] = arrived.ravel()
    bounds[b.ravel(), 1] = c.buffer_size_bits / unit
    objective = np.zeros(n_vars)
    objective[d.ravel()] = -1.0
    objective[a.ravel()] = -c.drop_penalty
    result = linprog(objective, A_ub=a_ub, b_ub=np.concatenate(rhs), A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                     method="highs")
    if result.status != 0:
        raise RuntimeError(f"the bound's linear program failed: {result.message}")
    best = -result.fun - c.drop_penalty * arrived.sum()  # delivered - penalty * dropped, in units
    return float(best / n_u)  # per unit of the cell's offered load (n_ues units), as the env's reward


def episode_bound(seed: int, env_config: dict | None = None, episode_len: int | None = None) -> float:
    """Upper bound on the return any scheduler can reach in the episode ``env.reset(seed=seed)``."""
    return lp_bound(episode_draws(seed, env_config, episode_len))


def mean_bound(n_episodes: int = 10, seed: int = 0, env_config: dict | None = None,
               episode_len: int | None = None) -> float:
    """Mean bound over the episodes ``seed, seed+1, ...``: compare it with ``evaluate``'s ``mean_return``."""
    if not (isinstance(n_episodes, int) and n_episodes > 0):
        raise ValueError(f"n_episodes={n_episodes!r} must be a positive integer")
    return float(np.mean([episode_bound(seed + i, env_config, episode_len) for i in range(n_episodes)]))
