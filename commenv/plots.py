"""Figures of the scheduler: who got which RBG over time, buffers, and policies side by side."""
from __future__ import annotations

import matplotlib

import numpy as np


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def user_colors(n_ues: int):
    return matplotlib.colormaps["tab10" if n_ues <= 10 else "tab20"].resampled(max(n_ues, 2))


def plot_allocation(actions, n_ues: int, ax=None, title: str = "Who got each RBG"):
    """Heat-map of an allocation trajectory: ``actions`` (T, n_rbgs) of user indices; -1 = not yet played."""
    plt = _pyplot()
    actions = np.asarray(actions)
    ax = ax or plt.subplots(figsize=(8, 2.8))[1]
    cmap = user_colors(n_ues)
    grid = np.ma.masked_less(actions.T, 0)
    ax.imshow(grid, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-0.5, vmax=cmap.N - 0.5,
              origin="lower")
    ax.set_xlabel("TTI (1 ms)")
    ax.set_ylabel("RBG")
    ax.set_yticks(range(actions.shape[1]))
    ax.set_title(title)
    handles = [matplotlib.patches.Patch(color=cmap(u), label=f"user {u}") for u in range(n_ues)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def plot_buffers(buffer_bits, buffer_size_bits: float, ax=None):
    """Bar chart of each user's buffer fill."""
    plt = _pyplot()
    ax = ax or plt.subplots(figsize=(3, 2.8))[1]
    n_ues = len(buffer_bits)
    cmap = user_colors(n_ues)
    ax.bar(range(n_ues), np.asarray(buffer_bits) / 1e3, color=[cmap(u) for u in range(n_ues)])
    ax.axhline(buffer_size_bits / 1e3, color="k", ls="--", lw=1, label="buffer size")
    ax.set_xlabel("user")
    ax.set_ylabel("buffered kbit")
    ax.set_xticks(range(n_ues))
    ax.set_ylim(0, buffer_size_bits / 1e3 * 1.1)
    ax.set_title("Buffers")
    return ax


def render_frame(env) -> np.ndarray:
    """RGB image (H, W, 3) of the last TTIs' allocation and the buffers, for ``render_mode='rgb_array'``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3), dpi=80)
    FigureCanvasAgg(fig)
    ax_alloc, ax_buf = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    # Oldest TTI on the left: roll the ring buffer so that slot t % HISTORY comes first.
    history = np.roll(env._history, -(env.t % env.HISTORY), axis=0)
    plot_allocation(history, env.n_ues, ax=ax_alloc, title=f"Last {env.HISTORY} TTIs (t = {env.t})")
    plot_buffers(env.buffer_bits, env.config.buffer_size_bits, ax=ax_buf)
    fig.tight_layout()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def plot_comparison(results: dict, metrics=("mean_return", "throughput_mbps", "drop_rate", "jain_fairness"),
                    highlight: str | None = None):
    """One bar chart per metric; ``results`` maps policy name -> ``commenv.evaluate`` output."""
    plt = _pyplot()
    names = list(results)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.2))
    for ax, metric in zip(np.atleast_1d(axes), metrics):
        values = [results[n][metric] for n in names]
        colors = ["tab:red" if n == highlight else "tab:gray" for n in names]
        ax.bar(range(len(names)), values, color=colors)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=35, ha="right", fontsize="small")
        ax.set_title(metric)
    fig.tight_layout()
    return fig


def format_table(results: dict, metrics=None) -> str:
    """Plain-text table of ``commenv.evaluate`` outputs, one row per policy."""
    from commenv.metrics import METRICS

    metrics = metrics or METRICS
    width = max(len(n) for n in results) + 2
    lines = ["policy".ljust(width) + "".join(m.rjust(18) for m in metrics)]
    for name, row in results.items():
        lines.append(name.ljust(width) + "".join(f"{row[m]:18.3f}" for m in metrics))
    return "\n".join(lines)
