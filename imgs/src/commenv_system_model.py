"""Draw ``imgs/commenv_system_model.png``: the system model of ``commenv`` in one picture.

Run from anywhere: ``.venv/bin/python imgs/src/commenv_system_model.py``. Left to right: packets
arrive into each user's finite buffer; every TTI the scheduler (the agent) gives each RBG to one
user, knowing the channel quality of every (user, RBG) pair, the buffers and the recent
throughput; the bits a user can send on an RBG follow its CQI. The numbers on the picture are the
environment's defaults, read from ``commenv.config`` so the figure cannot drift from the code,
and each user has the colour it has in every plot of the course (``commenv.render.user_colors``).
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

from commenv.config import make_config  # noqa: E402
from commenv.render import user_colors  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "commenv_system_model.png"
EDGE, TEXT = "#1f2937", "#1f2937"
TRAFFIC, AGENT, CHANNEL = "#fdf0d5", "#dcfce7", "#dbeafe"


def panel(ax, x, y, w, h, fill, title):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15", fc=fill, ec=EDGE,
                                lw=1.5))
    ax.text(x + w / 2, y + h - 0.35, title, ha="center", va="top", fontsize=15, weight="bold", color=TEXT)


def arrow(ax, start, end, color=EDGE, label=None, label_at=None, **kw):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=22, lw=2.2, color=color, **kw))
    if label:
        ax.text(*label_at, label, ha="center", va="center", fontsize=12, color=color, weight="bold")


def draw() -> plt.Figure:
    config = make_config({})
    n_ues, n_rbgs = config.n_ues, config.n_rbgs
    colors = user_colors(n_ues)  # the colours of the allocation and buffer plots
    fig = plt.figure(figsize=(16, 9), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 16)
    ax.set_ylim(0, 9)
    ax.axis("off")
    ax.text(8, 8.65, "commenv: one base station shares its RBGs among its users, every TTI (1 ms)",
            ha="center", va="center", fontsize=18, weight="bold", color=TEXT)

    # Traffic: Poisson packets into finite buffers.
    panel(ax, 0.3, 0.9, 4.6, 7.2, TRAFFIC, "Traffic into buffers")
    fills = [0.35, 0.9, 0.15, 0.6]
    for u in range(n_ues):
        y = 6.45 - 1.15 * u
        ax.text(0.6, y + 0.3, f"user {u}", fontsize=12, color=colors(u), weight="bold", va="center")
        ax.add_patch(Rectangle((2.0, y), 2.4, 0.6, fc="white", ec=EDGE, lw=1.2))
        ax.add_patch(Rectangle((2.0, y), 2.4 * fills[u], 0.6, fc=colors(u), alpha=0.45, lw=0))
        arrow(ax, (1.45, y - 0.15), (1.95, y + 0.15), color="#6b7280")
    ax.text(2.6, 1.7, f"Poisson packets of {config.packet_size_bits:,} bits,\n"
                       f"{config.arrival_rate_mbps:g} Mbit/s per user on average;\n"
                       f"buffer {config.buffer_size_bits:,} bits: a packet\nthat does not fit is dropped",
            ha="center", va="center", fontsize=11, color=TEXT)

    # The scheduler: the agent.
    panel(ax, 5.6, 3.3, 4.8, 4.8, AGENT, "Scheduler (the agent)")
    ax.text(8.0, 6.95, "observation", ha="center", fontsize=12, weight="bold", color=TEXT)
    ax.text(8.0, 6.6, "(what a real scheduler knows)", ha="center", fontsize=11, style="italic", color=TEXT)
    ax.text(8.0, 5.85, f"CQI of every user on every RBG ({n_ues} x {n_rbgs})\n"
                       f"buffer fill of every user ({n_ues})\nrecent throughput of every user ({n_ues})",
            ha="center", va="center", fontsize=11.5, color=TEXT)
    ax.text(8.0, 4.65, "action", ha="center", fontsize=12, weight="bold", color=TEXT)
    ax.text(8.0, 4.05, f"which user gets each RBG:\nMultiDiscrete([{n_ues}] x {n_rbgs})", ha="center",
            va="center", fontsize=11.5, color=TEXT)
    arrow(ax, (4.95, 5.0), (5.55, 5.0), label="buffers", label_at=(5.25, 5.35))

    # Reward.
    panel(ax, 5.6, 0.9, 4.8, 1.9, "#f3f4f6", "Reward per TTI")
    ax.text(8.0, 1.55, "(delivered bits - drop penalty x dropped bits)\n/ mean offered bits per TTI",
            ha="center", va="center", fontsize=11.5, color=TEXT)

    # Channel: the allocation grid, coloured by user, shaded by CQI.
    panel(ax, 11.1, 0.9, 4.6, 7.2, CHANNEL, "Air interface: one TTI")
    rng = np.random.default_rng(3)
    allocation = rng.integers(0, n_ues, n_rbgs)
    cqi = rng.integers(4, 16, n_rbgs)
    top = 7.35
    height = 0.62
    for r in range(n_rbgs):
        y = top - (r + 1) * (height + 0.12)
        user = int(allocation[r])
        ax.add_patch(Rectangle((12.4, y), 2.2, height, fc=colors(user), alpha=0.1 + 0.04 * cqi[r],
                               ec=EDGE, lw=1.0))
        ax.text(11.95, y + height / 2, f"RBG {r}", ha="center", va="center", fontsize=11, color=TEXT)
        ax.text(13.5, y + height / 2, f"user {user}, CQI {cqi[r]}", ha="center", va="center", fontsize=11,
                color=TEXT, weight="bold")
    ax.text(13.4, 1.75, f"{config.rbg_bandwidth_khz:g} kHz per RBG; bits = efficiency(CQI)\n"
                        f"x bandwidth x 1 ms. Fading per (user, RBG),\n"
                        f"correlated in time (AR(1), {config.fading_correlation:g})",
            ha="center", va="center", fontsize=10.5, color=TEXT)
    arrow(ax, (10.45, 5.0), (11.05, 5.0), label="action", label_at=(10.75, 5.35))
    arrow(ax, (11.05, 3.9), (10.45, 3.9), label="CQI", label_at=(10.75, 3.55))
    arrow(ax, (11.05, 2.45), (10.45, 2.0), color="#6b7280")
    ax.text(8.0, 0.45, "the reward counts the bits each user delivered, and those dropped at full buffers",
            ha="center", fontsize=11, color="#6b7280")
    return fig


def main() -> None:
    fig = draw()
    fig.savefig(OUT, dpi=100, facecolor="white")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
