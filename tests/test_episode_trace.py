"""The episode recorder and the system-model figure of Lesson 1."""
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("agg")


import commenv  # noqa: E402
from rllib_course.episode_trace import plot_system, record_episode  # noqa: E402


def test_a_whole_episode_is_recorded_with_consistent_shapes():
    env = commenv.make_env()
    trace = record_episode(commenv.RoundRobin(), env, seed=0)
    T = commenv.EPISODE_LEN
    assert trace["actions"].shape == (T, 6) and trace["rewards"].shape == (T,)
    assert trace["cqi"].shape == (T, 4, 6) and trace["buffer_bits"].shape == (T, 4)
    for key in ("delivered_bits", "dropped_bits", "arrived_bits"):
        assert trace[key].shape == (T, 4)
    assert trace["mean_snr_db"].shape == (4,)


def test_the_trace_agrees_with_evaluate_and_with_the_buffers():
    env = commenv.make_env()
    trace = record_episode(commenv.ProportionalFair(), env, seed=5)
    totals = commenv.run_episode(commenv.ProportionalFair(), commenv.make_env(), seed=5)
    assert trace["rewards"].sum() == pytest.approx(totals["return"])
    # Buffer before t+1 = buffer before t - delivered + arrived - dropped.
    change = trace["arrived_bits"] - trace["dropped_bits"] - trace["delivered_bits"]
    np.testing.assert_allclose(trace["buffer_bits"][1:], trace["buffer_bits"][:-1] + change[:-1], atol=1e-6)


def test_n_steps_cuts_the_episode_and_is_validated():
    trace = record_episode(commenv.RandomScheduler(), commenv.make_env(), seed=1, n_steps=7)
    assert trace["actions"].shape == (7, 6)
    with pytest.raises(ValueError, match="n_steps=0"):
        record_episode(commenv.RandomScheduler(), commenv.make_env(), seed=1, n_steps=0)


def test_plot_system_draws_one_channel_panel_per_user_and_the_buffers():
    trace = record_episode(commenv.MaxThroughput(), commenv.make_env(), seed=2, n_steps=50)
    fig = plot_system(trace)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 3 and titles[-1].startswith("Buffers")
    best, worst = int(np.argmax(trace["mean_snr_db"])), int(np.argmin(trace["mean_snr_db"]))
    assert titles[0].startswith(f"Channel of user {best}") and titles[1].startswith(f"Channel of user {worst}")
    fig = plot_system(trace, users=[1], n_ttis=20)
    assert sum(ax.get_title().startswith("Channel") for ax in fig.axes) == 1
    matplotlib.pyplot.close("all")
