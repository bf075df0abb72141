"""Pictures and small helpers of Lesson 1.3: PPO's ideas drawn, and one episode read TTI by TTI.

The lesson computes what it teaches in its own cells (a loss, a gradient step, the clipped
surrogate, GAE through RLlib's own function); this module only draws the results and records
an episode with everything a reader needs to judge an allocation: the observation of every TTI
cut into channel quality, buffer fill and deadline pressure, and the action taken.
"""
from __future__ import annotations

import numpy as np


# --------------------------------------------------------------------------------------------
# PPO's clipped objective

def plot_clipped_surrogate(surrogate, clip_param: float, advantages=(1.0, -1.0)):
    """Figure: ``surrogate(ratio, advantage)`` against the probability ratio, one panel per advantage.

    ``surrogate`` takes a torch tensor of ratios and a float advantage and returns a tensor (the
    lesson passes the same expression as RLlib's PPO loss). The unclipped ``ratio * advantage``
    is drawn dashed, the band ``[1 - clip_param, 1 + clip_param]`` shaded.
    """
    import matplotlib.pyplot as plt
    import torch

    ratio = torch.linspace(0.0, 2.0, 401)
    fig, axes = plt.subplots(1, len(advantages), figsize=(4.2 * len(advantages), 3.2), sharex=True)
    for ax, advantage in zip(np.atleast_1d(axes), advantages):
        ax.axvspan(1 - clip_param, 1 + clip_param, color="0.9", label=f"1 ± clip_param ({clip_param:g})")
        ax.plot(ratio, ratio * advantage, "--", color="gray", lw=1, label="ratio × advantage (no clip)")
        ax.plot(ratio, surrogate(ratio, advantage), color="tab:red", lw=2, label="PPO's clipped objective")
        ax.axvline(1.0, color="k", lw=0.6)
        ax.set_title(f"advantage {advantage:+g}: " + ("a good action" if advantage > 0 else "a bad action"),
                     fontsize="medium")
        ax.set_xlabel("ratio = new probability / old probability")
    np.atleast_1d(axes)[0].set_ylabel("objective (PPO maximises it)")
    np.atleast_1d(axes)[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# learning curve

def plot_learning_curve(curve: dict, held_out: dict, lines: dict):
    """Two panels sharing the env-step axis: returns (with horizontal ``lines`` name -> value), entropy.

    ``curve``: ``steps``, ``entropy`` after every iteration; ``held_out``: ``steps``, ``greedy``,
    ``sampled`` (returns on the held-out episodes at each evaluation).
    """
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    top.plot(held_out["steps"], held_out["greedy"], "o-", color="tab:red", label="PPO, greedy (most likely user)")
    top.plot(held_out["steps"], held_out["sampled"], "s--", color="tab:blue",
             label="PPO, sampled (user drawn at random)")
    for (name, value), style in zip(lines.items(), ["--", ":", "-."]):
        top.axhline(value, color="k", ls=style, lw=1, label=name)
    top.set_ylabel("mean return,\nheld-out episodes")
    top.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    bottom.plot(curve["steps"], curve["entropy"], ".-", color="tab:green")
    bottom.set_ylabel("entropy of the\npolicy (nats)")
    bottom.set_xlabel("env steps sampled")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# scoring a module on many episodes at once

def held_out_returns(module, n_episodes: int, seed: int, env_config: dict | None = None,
                     explore: bool = False) -> np.ndarray:
    """The return of each of ``n_episodes`` episodes (seeds ``seed``, ``seed + 1``, ...) under an RLModule.

    The same episodes as ``commenv.evaluate`` and ``benchmarks.learning.play_episodes`` play one after
    the other, played side by side: one forward pass of the module per TTI for all episodes, which is
    what makes evaluating during training affordable on a small machine. ``explore=False``: the greedy
    action (``forward_inference``, the distribution's mode); ``explore=True``: sampled from
    ``forward_exploration``, with torch's global random generator.
    """
    import commenv
    from commenv.rllib import module_actions

    envs = [commenv.make_env(env_config) for _ in range(n_episodes)]
    obs = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    returns, done = np.zeros(n_episodes), np.zeros(n_episodes, dtype=bool)
    while not done.all():
        actions = module_actions(module, obs, explore)
        for i, env in enumerate(envs):
            if done[i]:
                continue
            obs[i], reward, terminated, truncated, _ = env.step(actions[i])
            returns[i] += reward
            done[i] = terminated or truncated
    return returns


# --------------------------------------------------------------------------------------------
# one recorded episode

def record_observations(policy, env, seed: int, n_steps: int | None = None) -> dict:
    """Run ``policy(obs, env)`` for one episode (or ``n_steps`` TTIs) and keep every observation.

    Returns numpy arrays: ``obs`` (T + 1, D) including the observation after the last step (the one
    GAE bootstraps from), ``actions`` (T, R), ``rewards`` (T,), and what the scheduler saw before
    acting at TTI ``t``, cut out of ``obs[t]`` by the environment's own ``split_*`` methods:
    ``cqi`` (T, U, R) in [0, 1], ``buffer`` (T, U) as a fill fraction, ``pressure`` (T, U) (zeros in
    a cell without delay-critical users) and ``critical`` (U,) booleans; ``truncated`` is the last flag.
    """
    if n_steps is not None and not (isinstance(n_steps, int) and n_steps > 0):
        raise ValueError(f"n_steps={n_steps!r} must be a positive integer or None (whole episode)")
    base = env.unwrapped
    obs, _ = env.reset(seed=seed)
    if hasattr(policy, "reset"):
        policy.reset()
    observations, actions, rewards, done, truncated = [obs], [], [], False, False
    while not done and (n_steps is None or len(rewards) < n_steps):
        action = np.asarray(policy(obs, env))
        obs, reward, terminated, truncated, _ = env.step(action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
        done = terminated or truncated
    observations = np.array(observations)
    cqi, buffer, _ = base.split_observation(observations[:-1])
    if base.has_deadlines:
        pressure, critical = base.split_delay_features(observations[:-1])
        critical = critical[0] > 0.5
    else:
        pressure, critical = np.zeros_like(buffer), np.zeros(base.n_ues, dtype=bool)
    return {"obs": observations, "actions": np.array(actions), "rewards": np.array(rewards, dtype=np.float64),
            "cqi": cqi, "buffer": buffer, "pressure": pressure, "critical": critical, "truncated": bool(truncated)}


def plot_schedule_with_state(trace: dict, tti: int | None = None, title: str = "PPO (greedy)"):
    """Who got each RBG, and beside it, on the same TTIs: buffers, deadline pressure, channel of each user.

    The channel panel shows each user's mean CQI over the RBGs, with a bar from its worst to its best
    RBG at every TTI. ``tti`` draws a box around one TTI in every panel.
    """
    import matplotlib.pyplot as plt

    from commenv.render import plot_allocation, user_colors

    actions = trace["actions"]
    n_ttis, n_rbgs = actions.shape
    n_ues = trace["buffer"].shape[1]
    colors = user_colors(n_ues)
    t = np.arange(n_ttis)
    fig, axes = plt.subplots(4, 1, figsize=(9, 8.2), sharex=True, gridspec_kw={"height_ratios": [1.4, 1, 1, 1]})
    plot_allocation(actions, n_ues, ax=axes[0], title=f"{title}: who got each RBG")
    axes[0].set_xlabel("")
    for u in range(n_ues):
        kind = "delay-critical" if trace["critical"][u] else "best effort"
        axes[1].plot(t, trace["buffer"][:, u], color=colors(u), lw=1.5, label=f"user {u} ({kind})")
        if trace["critical"][u]:
            axes[2].plot(t, trace["pressure"][:, u], color=colors(u), lw=1.5, label=f"user {u}")
        mean = trace["cqi"][:, u].mean(axis=-1) * 15
        axes[3].plot(t + (u - (n_ues - 1) / 2) * 0.15, mean, color=colors(u), lw=1.2)
        axes[3].vlines(t + (u - (n_ues - 1) / 2) * 0.15, trace["cqi"][:, u].min(axis=-1) * 15,
                       trace["cqi"][:, u].max(axis=-1) * 15, color=colors(u), lw=0.8, alpha=0.5)
    axes[1].set_ylabel("buffer fill")
    axes[1].set_ylim(0, 1.05)
    axes[1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[2].axhline(1.0, color="k", ls="--", lw=1)
    axes[2].set_ylim(0, 1.1)
    axes[2].set_ylabel("deadline pressure\n(oldest packet's\nwait / deadline)")
    axes[2].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes[3].set_ylabel("CQI: mean over RBGs,\nbar = worst to best")
    axes[3].set_ylim(0, 15.5)
    axes[3].set_xlabel("TTI (1 ms)")
    if tti is not None:
        for ax in axes:
            ax.axvspan(tti - 0.5, tti + 0.5, facecolor="none", edgecolor="k", lw=1.5)
    fig.tight_layout()
    return fig


def describe_tti(trace: dict, t: int) -> str:
    """Text table of TTI ``t``: every user's class, buffer, deadline pressure, CQI per RBG, and its RBGs.

    An RBG the user got is shown as ``[cqi]``; the best CQI on each RBG is marked with ``*``.
    """
    cqi = np.rint(trace["cqi"][t] * 15).astype(int)  # (U, R)
    action = trace["actions"][t]
    n_ues, n_rbgs = cqi.shape
    best = cqi.max(axis=0)
    header = (f"TTI {t}".ljust(8) + "class".ljust(16) + "buffer".rjust(7) + "pressure".rjust(10) + "   CQI on RBG "
              + " ".join(f"{r:>5}" for r in range(n_rbgs)) + "   RBGs")
    lines = [header]
    for u in range(n_ues):
        cells = []
        for r in range(n_rbgs):
            value = f"{cqi[u, r]}{'*' if cqi[u, r] == best[r] else ''}"
            cells.append(f"[{value}]".rjust(5) if action[r] == u else value.rjust(5))
        kind = "delay-critical" if trace["critical"][u] else "best effort"
        pressure = f"{trace['pressure'][t, u]:.1f}" if trace["critical"][u] else "-"
        lines.append(f"user {u}".ljust(8) + kind.ljust(16) + f"{trace['buffer'][t, u]:7.2f}" + pressure.rjust(10)
                     + " " * 14 + " ".join(cells) + f"   {int((action == u).sum())}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# advantages

def plot_advantages(advantages: dict, rewards, values):
    """Top: the rewards and the value head's predictions of one episode; bottom: advantages per lambda."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 4.8), sharex=True)
    t = np.arange(len(rewards))
    top.plot(t, rewards, color="0.4", lw=1, label="reward r_t")
    top.plot(t, values[: len(rewards)], color="tab:purple", lw=1.5, label="value head V(s_t)")
    top.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    top.set_ylabel("reward, value")
    for (lam, adv), color in zip(advantages.items(), ["tab:orange", "tab:red", "tab:blue", "tab:green"]):
        bottom.plot(t, adv, color=color, lw=1.2, label=f"lambda_ = {lam:g} (std {np.std(adv):.2f})")
    bottom.axhline(0, color="k", lw=0.6)
    bottom.set_ylabel("advantage A_t")
    bottom.set_xlabel("TTI")
    bottom.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def gae_advantages(rewards, values, gamma: float, lambda_: float) -> np.ndarray:
    """GAE advantages of one episode cut by the time limit, computed by RLlib's own function.

    ``rewards`` (T,), ``values`` (T + 1,) with the bootstrap value ``V(s_T)`` last. RLlib's Learner
    connector calls ``compute_value_targets`` on every episode piece with one extra row appended
    (Lesson 2.2 takes that apart); this builds the same inputs for one piece and returns
    ``targets - values`` for the T real steps, before RLlib standardises them over the batch.
    """
    from ray.rllib.utils.postprocessing.value_predictions import compute_value_targets

    rewards = np.asarray(rewards, dtype=np.float32)
    values = np.asarray(values, dtype=np.float32)
    n = len(rewards)
    if values.shape != (n + 1,):
        raise ValueError(f"values must have one entry more than rewards (the bootstrap value): "
                         f"{values.shape} for {n} rewards")
    truncateds = np.zeros(n + 1, dtype=np.float32)
    truncateds[n - 1] = 1.0  # the piece ends at its last real step; row n is the bootstrap row
    targets = compute_value_targets(values, np.append(rewards, np.float32(0.0)), np.zeros(n + 1, dtype=np.float32),
                                    truncateds, gamma, lambda_)
    return (targets - values)[:n].astype(np.float64)


def check_one_step_advantage(one_step_advantage, rewards, values, gamma: float) -> None:
    """``one_step_advantage(rewards, values, gamma)`` must equal RLlib's GAE with ``lambda_=0``.

    ``rewards`` (T,) of one episode cut by the time limit, ``values`` (T + 1,) with the bootstrap
    value last. The reference is RLlib's own ``compute_value_targets`` (``gae_advantages``), the
    function its Learner connector calls. Raises ``AssertionError`` with one sentence when wrong.
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    want = gae_advantages(rewards, values, gamma, 0.0)
    got = one_step_advantage(rewards.copy(), values.copy(), gamma)
    assert got is not None, "your function returned None: did you forget the `return`?"
    got = np.asarray(got, dtype=np.float64)
    assert got.shape == want.shape, f"return one advantage per step, shape {want.shape}, not {got.shape}"
    if np.allclose(got, want, rtol=1e-4, atol=1e-4):
        return
    if np.allclose(got, rewards - values[:-1], rtol=1e-4, atol=1e-4):
        raise AssertionError("the value of the next state is missing: add gamma * values[t + 1]")
    if np.allclose(got, rewards + values[1:] - values[:-1], rtol=1e-4, atol=1e-4):
        raise AssertionError("the next state's value must be discounted: gamma * values[t + 1]")
    if np.allclose(got, -want, rtol=1e-4, atol=1e-4):
        raise AssertionError("the sign is flipped: the advantage is r_t + gamma V(s_t+1) minus V(s_t)")
    t = int(np.argmax(~np.isclose(got, want, rtol=1e-4, atol=1e-4)))
    raise AssertionError(f"first difference at step t={t}: yours {got[t]:.4f}, RLlib's {want[t]:.4f}")
