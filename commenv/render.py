"""Pictures of the cell: who got which RBG over the last TTIs, and the buffers.

``RadioSchedulingEnv.render()`` draws with these, and the lessons reuse them for their own
figures. matplotlib is optional for the environment (``pip install commenv[render]``), so it is
imported only when something is drawn; this module imports nothing else from ``commenv``.
"""
from __future__ import annotations

import numpy as np


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.patches  # noqa: F401  (legend handles)
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise ImportError("drawing needs matplotlib: pip install 'commenv[render]'") from error
    return matplotlib


def user_colors(n_ues: int):
    """One colour per user, the same in every figure of the course."""
    matplotlib = _matplotlib()
    return matplotlib.colormaps["tab10" if n_ues <= 10 else "tab20"].resampled(max(n_ues, 2))


def plot_allocation(actions, n_ues: int, ax=None, title: str = "Who got each RBG"):
    """Heat-map of an allocation trajectory: ``actions`` (T, n_rbgs) of user indices; -1 = not yet played."""
    matplotlib = _matplotlib()
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(8, 2.8))[1]
    actions = np.asarray(actions)
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
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(3, 2.8))[1]
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
    _matplotlib()
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
