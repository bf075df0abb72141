"""Draw ``imgs/ray_rllib_ppo.png``: PPO on RLlib's new API stack, one training iteration.

Run from anywhere: ``.venv/bin/python imgs/src/ray_rllib_ppo.py``. The picture shows the
objects that ``PPOConfig.build_algo()`` creates (Algorithm, EnvRunnerGroup, LearnerGroup and
what each holds, including the three connector pipelines: env-to-module and module-to-env in every
EnvRunner, the learner connector in every Learner) and the three phases of ``PPO.training_step``:
sample, update, sync weights.
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
CONNECTOR = "#f3e8ff"  # the connector pipelines, on both sides
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


def flow(ax, start, end, color=EDGE, label=None, label_xy=None, ha="center", rad=0.0):
    """A thin arrow inside a box: data moving between two pieces of one actor."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>,head_length=0.4,head_width=0.22", mutation_scale=12,
                                 lw=1.3, color=color, connectionstyle=f"arc3,rad={rad}", shrinkA=1, shrinkB=1))
    if label:
        ax.text(*label_xy, label, ha=ha, va="center", fontsize=9.5, color=color, style="italic")


def draw():
    fig, ax = plt.subplots(figsize=(16, 9), dpi=100)
    ax.set_xlim(0, 16)
    ax.set_ylim(0, 9)
    ax.axis("off")
    ax.text(8, 8.72, "PPO on RLlib's new API stack: one call of algo.train()", ha="center", va="center",
            fontsize=20, fontweight="bold", color=EDGE)

    # --- the driver: Algorithm and its training_step ---
    box(ax, 4.2, 6.6, 7.6, 1.8, DRIVER, "Algorithm (PPO), in the driver process", title_pad=0.28)
    ax.text(8.0, 7.73, "self.config: PPOConfig      self.metrics: MetricsLogger", ha="center", va="center",
            fontsize=11.5, color=EDGE, style="italic")
    box(ax, 4.5, 6.72, 7.0, 0.85, "white", None, lw=1.0)
    ax.text(8.0, 7.36, "training_step()", ha="center", va="center", fontsize=13, color=EDGE, family="monospace")
    for x, text, color in ((5.6, "(1) sample", ARROW_SAMPLE), (8.0, "(2) update", ARROW_UPDATE),
                           (10.3, "(3) sync weights", ARROW_SYNC)):
        ax.text(x, 6.97, text, ha="center", va="center", fontsize=13, color=color, fontweight="bold")

    # --- EnvRunnerGroup (left): each EnvRunner steps its envs through its two connector pipelines ---
    box(ax, 0.3, 0.95, 7.2, 4.75, RUNNERS, "algo.env_runner_group: EnvRunnerGroup")
    for i, x in enumerate((0.55, 4.0)):
        box(ax, x, 1.45, 3.25, 3.75, "white", f"EnvRunner {i + 1}", title_size=13, lw=1.2, title_pad=0.27)
        left, width = x + 0.2, 2.55
        env_width = width - 0.3
        for k in range(3):  # a stack of vectorised envs, the front one last
            ax.add_patch(FancyBboxPatch((left + 0.09 * (2 - k), 4.0 + 0.07 * (2 - k)), env_width, 0.56,
                                        boxstyle="round,pad=0.02,rounding_size=0.08", fc=ENV, ec=EDGE, lw=0.9))
        ax.text(left + env_width / 2, 4.28, "comm_env x num_envs\n(a vector env)", ha="center", va="center",
                fontsize=10, color=EDGE, linespacing=1.25)
        box(ax, left, 3.22, width, 0.52, CONNECTOR, None, ["env-to-module connector"], line_size=10, lw=1.0)
        box(ax, left, 2.33, width, 0.62, MODULE_INF, None, ["RLModule copy, inference-only", "forward_exploration"],
            line_size=10, lw=1.0)
        box(ax, left, 1.6, width, 0.45, CONNECTOR, None, ["module-to-env connector"], line_size=10, lw=1.0)
        centre = left + width / 2 - 0.35
        flow(ax, (centre, 3.98), (centre, 3.76), label="obs", label_xy=(centre + 0.1, 3.88), ha="left")
        flow(ax, (centre, 3.2), (centre, 2.97), label="batch", label_xy=(centre + 0.1, 3.085), ha="left")
        flow(ax, (centre, 2.31), (centre, 2.07), label="action logits", label_xy=(centre + 0.1, 2.19), ha="left")
        # actions go back up to the envs, along the right edge of the EnvRunner
        right = left + width + 0.17
        ax.plot([left + width, right, right], [1.82, 1.82, 4.28], color=EDGE, lw=1.3)
        flow(ax, (right, 4.28), (left + env_width + 0.02, 4.28))
        ax.text(right + 0.05, 3.05, "actions", ha="left", va="center", fontsize=9.5, color=EDGE, style="italic",
                rotation=90)
    ax.text(3.9, 1.2, "x num_env_runners   (0 = one local EnvRunner in the driver)", ha="center", va="center",
            fontsize=11, color=EDGE, style="italic")

    # --- LearnerGroup (right): the learner connector turns episodes into the train batch ---
    box(ax, 8.5, 0.95, 7.2, 4.75, LEARNERS, "algo.learner_group: LearnerGroup")
    box(ax, 8.8, 1.45, 6.6, 3.75, "white", "Learner (PPOTorchLearner)", title_size=13, lw=1.2, title_pad=0.27)
    box(ax, 9.05, 3.78, 6.1, 0.7, CONNECTOR, None, ["learner connector: episodes -> train batch",
                                                     "(+1 bootstrap step per episode piece, GAE advantages)"],
        line_size=10, lw=1.0)
    box(ax, 9.05, 2.55, 3.0, 0.9, MODULE_TRAIN, None, ["RLModule, trainable", "pi + vf heads"], line_size=10.5,
        lw=1.0)
    box(ax, 12.3, 2.55, 2.85, 0.9, OPT, None, ["optimizer (Adam)", "lr, grad_clip"], line_size=10.5, lw=1.0)
    box(ax, 9.05, 1.62, 6.1, 0.6, ENV, None, ["PPO loss over num_epochs x minibatches"], line_size=10.5, lw=1.0)
    flow(ax, (10.55, 3.76), (10.55, 3.47), label="train batch", label_xy=(10.65, 3.615), ha="left")
    flow(ax, (10.55, 2.53), (10.55, 2.24), label="forward_train", label_xy=(10.65, 2.385), ha="left")
    flow(ax, (13.7, 2.24), (13.7, 2.53), label="gradients", label_xy=(13.8, 2.385), ha="left")
    ax.text(12.1, 1.2, "x num_learners   (0 = one local Learner in the driver)", ha="center", va="center",
            fontsize=11, color=EDGE, style="italic")

    # --- the three phases ---
    arrow(ax, (5.0, 6.6), (3.0, 5.75), ARROW_SAMPLE, "(1) sample()", (2.15, 6.3), rad=0.15)
    arrow(ax, (6.6, 5.75), (6.2, 6.6), ARROW_SAMPLE, "episodes", (7.0, 6.15))
    arrow(ax, (10.4, 6.6), (12.4, 5.75), ARROW_UPDATE, "(2) update(episodes)", (13.55, 6.3), rad=-0.15)
    # (3) sync: under both groups, from the LearnerGroup back to the EnvRunnerGroup
    ax.plot([12.1, 12.1, 3.9], [0.93, 0.42, 0.42], color=ARROW_SYNC, lw=2.6, solid_capstyle="round")
    arrow(ax, (3.9, 0.42), (3.9, 0.97), ARROW_SYNC)
    ax.text(8.0, 0.42, "(3) sync_weights(inference_only=True): Learner weights -> every EnvRunner", ha="center",
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
