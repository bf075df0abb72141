"""One episode recorded TTI by TTI, and a picture of the system model drawn from it.

``commenv.evaluate`` keeps only an episode's totals, which is what a comparison needs. To
*see* the system model (how each user's channel fades on every RBG, how buffers fill with
arrivals and drain when served, which user got which RBG) we need the whole trajectory:
``record_episode`` keeps it, and ``plot_system`` draws it. Both read the environment's own
state, so the picture is the model, not a sketch of it.
"""
from __future__ import annotations

import numpy as np


def record_episode(policy, env, seed: int, n_steps: int | None = None) -> dict:
    """Run ``policy(obs, env) -> action`` for one episode (or ``n_steps`` TTIs) and keep everything.

    Returns numpy arrays indexed by TTI ``t``: ``actions`` (T, R), ``rewards`` (T,), ``cqi`` (T, U, R)
    and ``buffer_bits`` (T, U) as the scheduler saw them *before* acting at ``t``, and ``delivered_bits``,
    ``dropped_bits``, ``arrived_bits`` (T, U) of the step itself; plus ``mean_snr_db`` (U,) and the config.
    """
    if n_steps is not None and not (isinstance(n_steps, int) and n_steps > 0):
        raise ValueError(f"n_steps={n_steps!r} must be a positive integer or None (whole episode)")
    base = env.unwrapped
    obs, _ = env.reset(seed=seed)
    if hasattr(policy, "reset"):
        policy.reset()
    keys = ("actions", "rewards", "cqi", "buffer_bits", "delivered_bits", "dropped_bits", "arrived_bits")
    rows = {key: [] for key in keys}
    done = False
    while not done and (n_steps is None or len(rows["rewards"]) < n_steps):
        rows["cqi"].append(base.channel.cqi.copy())
        rows["buffer_bits"].append(base.buffer_bits.copy())
        action = np.asarray(policy(obs, env))
        obs, reward, terminated, truncated, info = env.step(action)
        rows["actions"].append(action)
        rows["rewards"].append(reward)
        for key in ("delivered_bits", "dropped_bits", "arrived_bits"):
            rows[key].append(info[key])
        done = terminated or truncated
    trace = {key: np.array(value) for key, value in rows.items()}
    trace["mean_snr_db"] = base.channel.mean_snr_db.copy()
    trace["config"] = base.config
    return trace


def plot_system(trace: dict, users=None, n_ttis: int | None = None):
    """Figure: fading CQI over (TTI, RBG) for a few users, then every user's buffer over time.

    ``users`` defaults to the users with the best and the worst mean SNR; drops are marked with
    an ``x`` on the buffer line of the user that lost the packet.
    """
    import matplotlib.pyplot as plt
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    from commenv.channel import MAX_CQI
    from commenv.render import user_colors

    snr = trace["mean_snr_db"]
    users = [int(np.argmax(snr)), int(np.argmin(snr))] if users is None else list(users)
    n_ttis = len(trace["rewards"]) if n_ttis is None else min(n_ttis, len(trace["rewards"]))
    n_ues, n_rbgs = trace["cqi"].shape[1:]
    colors = user_colors(n_ues)
    fig, axes = plt.subplots(len(users) + 1, 1, figsize=(9, 1.9 * len(users) + 2.6), sharex=True,
                             gridspec_kw={"height_ratios": [1] * len(users) + [1.5]})
    # Every panel gets a slim side axis (a colorbar, or an empty one) so that the time axes line up.
    side = [make_axes_locatable(ax).append_axes("right", size="2%", pad=0.1) for ax in axes]
    for ax, cax, u in zip(axes, side, users):
        image = ax.imshow(trace["cqi"][:n_ttis, u].T, aspect="auto", origin="lower", interpolation="nearest",
                          cmap="viridis", vmin=0, vmax=MAX_CQI, extent=(-0.5, n_ttis - 0.5, -0.5, n_rbgs - 0.5))
        ax.set_ylabel("RBG")
        ax.set_yticks(range(n_rbgs))
        ax.set_title(f"Channel of user {u} (mean SNR {snr[u]:.1f} dB): CQI per RBG", fontsize="medium")
        fig.colorbar(image, cax=cax, label="CQI")
    side[-1].set_axis_off()
    ax = axes[-1]
    t = np.arange(n_ttis)
    for u in range(n_ues):
        buffer_kbit = trace["buffer_bits"][:n_ttis, u] / 1e3
        ax.plot(t, buffer_kbit, color=colors(u), lw=1.5, label=f"user {u}")
        lost = trace["dropped_bits"][:n_ttis, u] > 0
        ax.plot(t[lost], buffer_kbit[lost], "x", color=colors(u), ms=7, mew=2)
    size_kbit = trace["config"].buffer_size_bits / 1e3
    ax.axhline(size_kbit, color="k", ls="--", lw=1, label="buffer size")
    ax.set_ylim(0, size_kbit * 1.4)  # room for the legend above the buffer-size line
    ax.set_ylabel("buffered kbit")
    ax.set_xlabel("TTI (1 ms)")
    ax.set_title("Buffers fill with arrivals and drain when served (x = a packet dropped)", fontsize="medium")
    ax.legend(loc="upper center", ncol=n_ues + 1, fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
