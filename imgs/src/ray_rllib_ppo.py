"""Draw ``imgs/ray_rllib_ppo.png``: PPO on RLlib's new API stack, one training iteration.

Run from anywhere: ``.venv/bin/python imgs/src/ray_rllib_ppo.py``. The picture shows the
objects that ``PPOConfig.build_algo()`` creates (Algorithm, EnvRunnerGroup, LearnerGroup and
what each holds) and the three phases of ``PPO.training_step``: sample, update, sync weights.
Names are RLlib 2.60's attribute and method names, so a student can find each box in the code.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "ray_rllib_ppo.png"

# Colours: one per role, light fills so black text stays readable when projected.
DRIVER, RUNNERS, LEARNERS = "#fdf0d5", "#dbeafe", "#dcfce7"
MODULE_INF, MODULE_TRAIN, ENV, OPT = "#bfdbfe", "#86efac", "#e5e7eb", "#fef9c3"
EDGE = "#1f2937"
ARROW_SAMPLE, ARROW_UPDATE, ARROW_SYNC = "#1d4ed8", "#15803d", "#b45309"


def box(ax, x, y, w, h, fill, title=None, lines=(), title_size=15, line_size=12, lw=1.5, dashed=False,
        title_pad=0.32):
    """A rounded box; ``title`` in bold at its top, ``lines`` below it (or centred if no title)."""
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.15", fc=fill, ec=EDGE,
                                lw=lw, ls="--" if dashed else "-"))
    if title:
        ax.text(x + w / 2, y + h - title_pad, title, ha="center", va="center", fontsize=title_size,
                fontweight="bold", color=EDGE)
    if lines:
        top = y + h - (title_pad * 2 if title else 0)
        step = line_size / 28  # line height in data units (the figure is 16 x 9 units at 100 dpi)
        centre = (top + y) / 2
        for i, line in enumerate(lines):
            ax.text(x + w / 2, centre + step * ((len(lines) - 1) / 2 - i), line, ha="center", va="center",
                    fontsize=line_size, color=EDGE)


def arrow(ax, start, end, color, label=None, label_xy=None, rad=0.0, size=13, ha="center"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>,head_length=0.6,head_width=0.35", mutation_scale=18,
                                 lw=2.6, color=color, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if label:
        ax.text(*label_xy, label, ha=ha, va="center", fontsize=size, color=color, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="none", alpha=0.9))


def draw():
    fig, ax = plt.subplots(figsize=(16, 9), dpi=100)
    ax.set_xlim(0, 16)
    ax.set_ylim(0, 9)
    ax.axis("off")
    ax.text(8, 8.7, "PPO on RLlib's new API stack: one call of algo.train()", ha="center", va="center",
            fontsize=20, fontweight="bold", color=EDGE)

    # --- the driver: Algorithm and its training_step ---
    box(ax, 4.2, 6.15, 7.6, 2.15, DRIVER, "Algorithm (PPO), in the driver process")
    ax.text(8.0, 7.55, "self.config: PPOConfig      self.metrics: MetricsLogger", ha="center", va="center",
            fontsize=11.5, color=EDGE, style="italic")
    box(ax, 4.5, 6.3, 7.0, 1.0, "white", None, lw=1.0)
    ax.text(8.0, 7.05, "training_step()", ha="center", va="center", fontsize=13, color=EDGE, family="monospace")
    for x, text, color in ((5.6, "(1) sample", ARROW_SAMPLE), (8.0, "(2) update", ARROW_UPDATE),
                           (10.3, "(3) sync weights", ARROW_SYNC)):
        ax.text(x, 6.62, text, ha="center", va="center", fontsize=13, color=color, fontweight="bold")

    # --- EnvRunnerGroup (left) ---
    box(ax, 0.3, 1.1, 7.2, 4.1, RUNNERS, "algo.env_runner_group: EnvRunnerGroup")
    for i, x in enumerate((0.6, 4.05)):
        box(ax, x, 1.65, 3.15, 2.95, "white", f"EnvRunner {i + 1}", title_size=13, lw=1.2)
        for k in range(3):  # a stack of vectorised envs
            ax.add_patch(FancyBboxPatch((x + 0.3 + 0.09 * k, 3.05 - 0.09 * k), 2.4, 0.7,
                                        boxstyle="round,pad=0.02,rounding_size=0.08", fc=ENV, ec=EDGE, lw=0.9))
        ax.text(x + 1.68, 3.22, "comm_env x num_envs\n(gymnasium vector env)", ha="center", va="center",
                fontsize=10.5, color=EDGE)
        box(ax, x + 0.25, 1.82, 2.65, 0.95, MODULE_INF, None, ["RLModule copy, inference-only", "forward_exploration"],
            line_size=10.5, lw=1.0)
    ax.text(3.9, 1.38, "x num_env_runners   (0 = one local EnvRunner in the driver)", ha="center", va="center",
            fontsize=11, color=EDGE, style="italic")

    # --- LearnerGroup (right) ---
    box(ax, 8.5, 1.1, 7.2, 4.1, LEARNERS, "algo.learner_group: LearnerGroup")
    box(ax, 8.8, 1.65, 6.6, 2.95, "white", "Learner (PPOTorchLearner)", title_size=13, lw=1.2)
    box(ax, 9.05, 2.95, 3.0, 0.95, MODULE_TRAIN, None, ["RLModule, trainable", "pi + vf heads"], line_size=10.5,
        lw=1.0)
    box(ax, 12.3, 2.95, 2.85, 0.95, OPT, None, ["optimizer (Adam)", "lr, grad_clip"], line_size=10.5, lw=1.0)
    box(ax, 9.05, 1.82, 6.1, 0.9, ENV, None, ["learner connector: episodes -> batch, GAE advantages",
                                                "PPO loss over num_epochs x minibatches"], line_size=10.5, lw=1.0)
    ax.text(12.1, 1.38, "x num_learners   (0 = one local Learner in the driver)", ha="center", va="center",
            fontsize=11, color=EDGE, style="italic")

    # --- the three phases ---
    arrow(ax, (5.0, 6.15), (3.0, 5.25), ARROW_SAMPLE, "(1) sample()", (2.15, 5.85), rad=0.15)
    arrow(ax, (6.6, 5.25), (6.2, 6.15), ARROW_SAMPLE, "episodes", (7.0, 5.68))
    arrow(ax, (10.4, 6.15), (12.4, 5.25), ARROW_UPDATE, "(2) update(episodes)", (13.55, 5.85), rad=-0.15)
    # (3) sync: under both groups, from the LearnerGroup back to the EnvRunnerGroup
    ax.plot([12.1, 12.1, 3.9], [1.08, 0.5, 0.5], color=ARROW_SYNC, lw=2.6, solid_capstyle="round")
    arrow(ax, (3.9, 0.5), (3.9, 1.12), ARROW_SYNC)
    ax.text(8.0, 0.5, "(3) sync_weights(inference_only=True): Learner weights -> every EnvRunner", ha="center",
            va="center", fontsize=12.5, color=ARROW_SYNC, fontweight="bold",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="none"))
    fig.tight_layout(pad=0.2)
    return fig


def main() -> Path:
    fig = draw()
    fig.savefig(OUT, dpi=100, facecolor="white")
    plt.close(fig)
    return OUT


if __name__ == "__main__":
    print(main())
