import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import numpy as np  # noqa: E402

import commenv  # noqa: E402
from rllib_course.figures import format_table, plot_allocation, plot_buffers, plot_comparison  # noqa: E402


def test_comparison_table_and_figure_cover_every_policy():
    results = {name: commenv.evaluate(policy, 1, seed=0, episode_len=20)
               for name, policy in commenv.all_baselines().items()}
    table = format_table(results)
    assert table.splitlines()[0].split()[0] == "policy"
    assert all(name in table for name in results)
    fig = plot_comparison(results, highlight="round robin")
    assert len(fig.axes) == 4
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(results)


def test_allocation_and_buffer_plots_label_every_user():
    actions = np.array([[0, 1, 2], [2, 1, 0], [-1, -1, -1]])
    ax = plot_allocation(actions, n_ues=3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["user 0", "user 1", "user 2"]
    ax = plot_buffers([1000.0, 0.0, 5000.0], buffer_size_bits=6000)
    assert len(ax.patches) == 3
