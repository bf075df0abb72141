"""The clairvoyant LP bound: exact where the answer is known, and above every scheduler's return."""
import numpy as np
import pytest

pytest.importorskip("scipy")

import commenv  # noqa: E402
from commenv.bound import EpisodeDraws, episode_bound, episode_draws, lp_bound, mean_bound  # noqa: E402
from commenv.config import make_config  # noqa: E402


def test_the_replay_sees_the_same_episode_whatever_the_scheduler_does():
    """The bound replays an episode with a fixed action: that is the episode of every policy."""
    fixed = episode_draws(10_000, episode_len=300)  # crosses a random-block boundary (256 TTIs)
    for policy in (commenv.RandomScheduler(seed=3), commenv.ProportionalFair()):
        other = episode_draws(10_000, episode_len=300, policy=policy)
        np.testing.assert_array_equal(other.bits, fixed.bits)
        np.testing.assert_array_equal(other.arrived, fixed.arrived)
        np.testing.assert_array_equal(other.initial_buffer, fixed.initial_buffer)
    assert fixed.bits.shape == (300, 4, 6) and fixed.arrived.shape == (300, 4)
    assert not np.array_equal(episode_draws(10_001).arrived, fixed.arrived[:200])


@pytest.mark.parametrize("env_config", [None, {"arrival_rate_mbps": 3.0}, {"drop_penalty": 0.0, "n_rbgs": 3}])
def test_no_scheduler_beats_the_bound(env_config):
    policies = {**commenv.all_baselines(), **commenv.strong_baselines(), "random": commenv.RandomScheduler()}
    for seed in (100, 101, 102):
        bound = episode_bound(seed, env_config)
        returns = {name: commenv.evaluate(p, 1, seed, env_config)["mean_return"] for name, p in policies.items()}
        assert all(value <= bound + 1e-6 for value in returns.values()), (seed, bound, returns)
        assert bound > max(returns.values()) + 1.0  # the scheduler's restrictions cost something here


def test_with_one_user_and_no_drops_the_bound_is_the_return():
    """One user, one RBG: every policy plays the same action, and a huge buffer never drops, so it is optimal."""
    config = {"n_ues": 1, "n_rbgs": 1, "buffer_size_bits": 10_000_000}
    for seed in (0, 1, 2):
        achieved = commenv.evaluate(commenv.RoundRobin(), 1, seed, config)["mean_return"]
        assert episode_bound(seed, config) == pytest.approx(achieved, rel=1e-7)


def tiny_config(**changes):
    # 1 Mbit/s: the mean offered load of a user is 1000 bits per TTI, the LP's unit.
    return make_config({"n_ues": 2, "n_rbgs": 1, "arrival_rate_mbps": 1.0, "packet_size_bits": 1000,
                        "buffer_size_bits": 2000, **changes})


def test_an_empty_cell_is_worth_nothing():
    draws = EpisodeDraws(np.full((3, 2, 1), 800.0), np.zeros((3, 2)), np.zeros(2), tiny_config())
    assert lp_bound(draws) == pytest.approx(0.0, abs=1e-9)


def test_the_bound_sees_a_burst_coming():
    """Two TTIs, one RBG. A burst of 2000 bits will hit user 1's buffer after TTI 0.

    Serving user 0 fully (1000 bits, the most now) leaves user 1 to drop 1000 bits; serving user 1
    (500 bits) makes room, and user 1 drops only 500. TTI 1 delivers 1000 bits either way. With
    drops costing 2 per bit: 1000 + 1000 - 2 * 1000 = 0 against 500 + 1000 - 2 * 500 = 500 bits,
    over the offered 2 x 1000 bits: 0.25.
    """
    bits = np.array([[[1000.0], [500.0]], [[1000.0], [1000.0]]])
    arrived = np.array([[0.0, 2000.0], [0.0, 0.0]])
    draws = EpisodeDraws(bits, arrived, np.array([1000.0, 1000.0]), tiny_config(drop_penalty=2.0))
    assert lp_bound(draws) == pytest.approx(0.25, abs=1e-7)
    # Without a drop penalty only deliveries count: 2000 bits over 2000 offered.
    assert lp_bound(EpisodeDraws(bits, arrived, draws.initial_buffer, tiny_config(drop_penalty=0.0))) == (
        pytest.approx(1.0, abs=1e-7))


def test_mean_bound_averages_the_episodes_and_refuses_bad_counts():
    assert mean_bound(2, seed=5) == pytest.approx((episode_bound(5) + episode_bound(6)) / 2)
    with pytest.raises(ValueError, match="n_episodes=0"):
        mean_bound(0)


@pytest.mark.parametrize("env_config", [commenv.DELAY_CRITICAL, {"delay_critical_ues": 4, "deadline_ttis": 3},
                                        {"delay_critical_ues": 1, "deadline_ttis": 5, "drop_penalty": 3.0}])
def test_no_scheduler_beats_the_bound_with_deadlines(env_config):
    policies = {**commenv.all_baselines(), **commenv.strong_baselines(env_config), "random": commenv.RandomScheduler()}
    for seed in (100, 101):
        bound = episode_bound(seed, env_config)
        returns = {name: commenv.evaluate(p, 1, seed, env_config)["mean_return"] for name, p in policies.items()}
        assert all(value <= bound + 1e-6 for value in returns.values()), (seed, bound, returns)
        assert bound > max(returns.values()) + 1.0


def test_a_deadline_longer_than_the_episode_changes_nothing():
    """No packet can expire inside the episode: the per-batch LP of a delay-critical user is the plain one."""
    draws = episode_draws(10_000, episode_len=40)
    plain = lp_bound(draws)
    for users in (1, 4):
        config = make_config({"delay_critical_ues": users, "deadline_ttis": 41})
        assert lp_bound(EpisodeDraws(draws.bits, draws.arrived, draws.initial_buffer, config)) == (
            pytest.approx(plain, rel=1e-7))
    short = make_config({"delay_critical_ues": 4, "deadline_ttis": 2})
    assert lp_bound(EpisodeDraws(draws.bits, draws.arrived, draws.initial_buffer, short)) < plain - 0.5


def test_the_bound_knows_when_a_packet_expires():
    """One user with a 1-TTI deadline, one RBG carrying 600 bits per TTI, 1000 bits arriving in TTI 0.

    The initial 500 bits go out in TTI 0. The batch can be sent only in TTI 1 (600 bits); the other
    400 expire after TTI 1 and cost 400. Nothing is left for TTI 2. Return: 500 + 600 - 400 = 700
    bits, over the offered 1000 bits per TTI of the cell: 0.7.
    """
    config = make_config({"n_ues": 1, "n_rbgs": 1, "arrival_rate_mbps": 1.0, "packet_size_bits": 1000,
                          "buffer_size_bits": 2000, "delay_critical_ues": 1, "deadline_ttis": 1})
    draws = EpisodeDraws(np.full((3, 1, 1), 600.0), np.array([[1000.0], [0.0], [0.0]]), np.array([500.0]), config)
    assert lp_bound(draws) == pytest.approx(0.7, abs=1e-7)
    # Were the deadline 2 TTIs, all 1000 bits could go out (600 in TTI 1, 400 in TTI 2): 1.5.
    longer = make_config({**{k: getattr(config, k) for k in ("n_ues", "n_rbgs", "arrival_rate_mbps",
                                                              "packet_size_bits", "buffer_size_bits")},
                          "delay_critical_ues": 1, "deadline_ttis": 2})
    assert lp_bound(EpisodeDraws(draws.bits, draws.arrived, draws.initial_buffer, longer)) == (
        pytest.approx(1.5, abs=1e-7))
