"""The lessons' comparison figures and tables of ``commenv.evaluate`` results.

The allocation and buffer pictures belong to the environment (``commenv.render``, which its
``render()`` uses); they are re-exported here so a lesson imports all its figures from one place.
"""
from __future__ import annotations

import numpy as np

from commenv.metrics import METRICS
from commenv.render import plot_allocation, plot_buffers, user_colors

__all__ = ["format_table", "plot_allocation", "plot_buffers", "plot_comparison", "user_colors"]


def plot_comparison(results: dict, metrics=("mean_return", "throughput_mbps", "drop_rate", "jain_fairness"),
                    highlight: str | None = None):
    """One bar chart per metric; ``results`` maps policy name -> ``commenv.evaluate`` output."""
    import matplotlib.pyplot as plt

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
    metrics = metrics or METRICS
    width = max(len(n) for n in results) + 2
    lines = ["policy".ljust(width) + "".join(m.rjust(18) for m in metrics)]
    for name, row in results.items():
        lines.append(name.ljust(width) + "".join(f"{row[m]:18.3f}" for m in metrics))
    return "\n".join(lines)
