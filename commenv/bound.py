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


class _LinearProgram:
    """Variables and sparse constraint rows, collected as (row, column, value) triplets."""

    def __init__(self):
        self.n_vars, self.upper, self.cost = 0, [], []
        self.rows = {"ub": ([], [], [], []), "eq": ([], [], [], [])}  # rows, cols, vals, rhs
        self.n_rows = {"ub": 0, "eq": 0}

    def variables(self, shape, upper=np.inf, cost=0.0) -> np.ndarray:
        """New variables in [0, upper] with objective coefficient ``cost`` (maximised); their indices."""
        index = self.n_vars + np.arange(int(np.prod(shape))).reshape(shape)
        self.n_vars += index.size
        self.upper.append(np.broadcast_to(upper, shape).ravel())
        self.cost.append(np.broadcast_to(cost, shape).ravel())
        return index

    def constraints(self, kind: str, rhs) -> np.ndarray:
        """New rows ``sum <= rhs`` (``"ub"``) or ``sum == rhs`` (``"eq"``); fill them with ``add``."""
        rhs = np.ravel(rhs)
        first = self.n_rows[kind]
        self.n_rows[kind] += rhs.size
        self.rows[kind][3].append(rhs)
        return first + np.arange(rhs.size)

    def add(self, kind: str, row, col, val=1.0) -> None:
        rows, cols, vals, _ = self.rows[kind]
        row, col = np.broadcast_arrays(row, col)
        rows.append(row.ravel()), cols.append(col.ravel()), vals.append(np.broadcast_to(val, col.shape).ravel())

    def maximise(self) -> float:
        from scipy import sparse
        from scipy.optimize import linprog

        def matrix(kind):
            rows, cols, vals, rhs = self.rows[kind]
            if not rows:
                return None, None
            shape = (self.n_rows[kind], self.n_vars)
            return sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                    shape=shape), np.concatenate(rhs)

        a_ub, b_ub = matrix("ub")
        a_eq, b_eq = matrix("eq")
        bounds = np.stack([np.zeros(self.n_vars), np.concatenate(self.upper)], axis=1)
        result = linprog(-np.concatenate(self.cost), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                         method="highs")
        if result.status != 0:
            raise RuntimeError(f"the bound's linear program failed: {result.message}")
        return -result.fun


def lp_bound(draws: EpisodeDraws) -> float:
    """The LP optimum of the episode's return, given its whole channel and traffic in advance.

    Per TTI ``t`` and user ``u`` (bits in units of one user's mean offered load per TTI):

    - ``x[t,u,r]`` in [0, 1], share of RBG ``r``;  ``sum_u x[t,u,r] <= 1``
    - ``d[t,u] >= 0`` delivered: ``d <= sum_r bits[t,u,r] x[t,u,r]`` and ``d <=`` the buffer before ``t``
    - ``a[t,u]`` in [0, arrived[t,u]] accepted, the rest dropped
    - ``b[t,u]`` in [0, buffer_size] buffer after ``t``: ``b[t] = b[t-1] - d[t] + a[t]``, ``b[-1]`` = initial

    maximise ``sum (d - drop_penalty * (arrived - a))``, divided by the cell's offered load per TTI.

    A delay-critical user (``delay_critical_ues``) has a deadline ``D = deadline_ttis``, so its bits
    are tracked by the TTI ``a`` they arrived in (``a = -1``: the initial buffer): ``s[t,u,k]`` bits
    of age ``k`` in 1..D delivered at ``t`` (from batch ``a = t - k``); a batch's deliveries never
    exceed what it accepted; the queue after each TTI's arrivals (the batches of the last ``D - 1``
    TTIs and the new one, less what was sent of them) fits the buffer; a batch's unsent bits cost
    ``drop_penalty`` once its deadline passes inside the episode, as the environment discards them.
    """
    c = draws.config
    unit = c.mean_arrival_bits_per_tti  # rescaled so every quantity is of order 1 (better conditioned)
    bits, arrived, start = draws.bits / unit, draws.arrived / unit, draws.initial_buffer / unit
    n_t, n_u, n_r = bits.shape
    capacity, penalty = c.buffer_size_bits / unit, c.drop_penalty
    critical = np.arange(n_u) < c.delay_critical_ues
    lp = _LinearProgram()
    x = lp.variables((n_t, n_u, n_r), upper=1.0)
    lp.add("ub", lp.constraints("ub", np.ones((n_t, n_r))).reshape(n_t, 1, n_r), x)  # RBG shares sum to <= 1
    constant = -penalty * arrived.sum()  # every arrival counted as dropped; accepting one earns it back

    def capacity_rows(users, delivered_terms):
        """delivered at (t, u) <= sum_r bits x: rows for ``users``; ``delivered_terms`` fills the left side."""
        rows = lp.constraints("ub", np.zeros((n_t, len(users)))).reshape(n_t, len(users))
        lp.add("ub", rows[:, :, None], x[:, users, :], -bits[:, users, :])
        delivered_terms(rows)

    best_effort = np.flatnonzero(~critical)
    if best_effort.size:
        m = best_effort.size
        d = lp.variables((n_t, m), cost=1.0)
        a = lp.variables((n_t, m), upper=arrived[:, best_effort], cost=penalty)
        b = lp.variables((n_t, m), upper=capacity)
        capacity_rows(best_effort, lambda rows: lp.add("ub", rows, d))
        # Delivered <= buffer before the TTI: b[t-1], or the initial buffer at t = 0.
        rows = lp.constraints("ub", np.concatenate([start[best_effort], np.zeros((n_t - 1) * m)])).reshape(n_t, m)
        lp.add("ub", rows, d)
        lp.add("ub", rows[1:], b[:-1], -1.0)
        # Buffer dynamics: b[t] - b[t-1] + d[t] - a[t] = 0, with b[-1] the initial buffer.
        rows = lp.constraints("eq", np.concatenate([start[best_effort], np.zeros((n_t - 1) * m)])).reshape(n_t, m)
        lp.add("eq", rows, b)
        lp.add("eq", rows[1:], b[:-1], -1.0)
        lp.add("eq", rows, d)
        lp.add("eq", rows, a, -1.0)

    users = np.flatnonzero(critical)
    if users.size:
        deadline, m = c.deadline_ttis, users.size
        ttis, ages = np.arange(n_t)[:, None], np.arange(1, deadline + 1)[None, :]
        batch = ttis - ages  # (t, k) -> the TTI the bits arrived in
        # A batch whose deadline falls inside the episode is discarded unsent: each sent bit saves the penalty.
        expires = batch + deadline <= n_t - 1
        s = lp.variables((n_t, m, deadline), upper=np.where(batch >= -1, np.inf, 0.0)[:, None, :],
                         cost=1.0 + penalty * expires[:, None, :])
        acc = lp.variables((n_t, m), upper=arrived[:, users], cost=penalty * (np.arange(n_t) + deadline > n_t - 1)[:, None])
        constant -= penalty * start[users].sum() * (deadline - 1 <= n_t - 1)
        capacity_rows(users, lambda rows: lp.add("ub", rows[:, :, None], s))
        for j, user in enumerate(users):
            # A batch sends at most what it brought: the initial buffer (a = -1), or what it accepted.
            rows = lp.constraints("ub", np.concatenate([[start[user]], np.zeros(n_t)]))  # a = -1 .. n_t - 1
            valid = batch >= -1
            lp.add("ub", rows[batch[valid] + 1], s[:, j, :][valid])
            lp.add("ub", rows[1:], acc[:, j], -1.0)
            # Queue after TTI t's arrivals: batches t-D+1 .. t, less what they sent by t, fits the buffer.
            for t in range(n_t):
                oldest = max(-1, t - deadline + 1)
                row = lp.constraints("ub", [capacity - (start[user] if oldest == -1 else 0.0)])
                lp.add("ub", row, acc[max(oldest, 0) : t + 1, j])
                sent_t, sent_k = np.nonzero((batch[: t + 1] >= oldest) & (batch[: t + 1] < t) & valid[: t + 1])
                lp.add("ub", row, s[sent_t, j, sent_k], -1.0)
    best = lp.maximise() + constant  # delivered - penalty * (dropped + expired), in units
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
