"""The environment: gymnasium's checker, determinism, common random numbers and bad input."""
import importlib.util

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import commenv
from commenv import ENV_ID, EPISODE_LEN, RadioSchedulingEnv, make_env


def rollout(env, seed, n_steps=50, action_seed=0):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    trace = [obs]
    for _ in range(n_steps):
        obs, reward, *_ = env.step(rng.integers(0, env.unwrapped.n_ues, env.unwrapped.n_rbgs))
        trace += [obs, np.array([reward])]
    return np.concatenate(trace)


def test_gymnasium_checker_passes_on_the_registered_id():
    can_render = importlib.util.find_spec("matplotlib") is not None  # rendering is an optional extra
    render_mode = "rgb_array" if can_render else None
    for config in (None, {"n_ues": 7, "n_rbgs": 3}):
        check_env(gym.make(ENV_ID, config=config, render_mode=render_mode).unwrapped, skip_render_check=not can_render)


def test_registered_id_truncates_after_the_episode_length():
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    for t in range(EPISODE_LEN):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        assert not terminated
        assert truncated == (t == EPISODE_LEN - 1)


def test_make_env_passes_config_and_episode_len():
    env = make_env({"n_ues": 3, "episode_len": 5})
    assert env.unwrapped.n_ues == 3
    env.reset(seed=1)
    ends = [env.step(np.zeros(6, dtype=int))[3] for _ in range(5)]
    assert ends == [False] * 4 + [True]


def test_same_seed_same_trajectory_and_different_seeds_differ():
    a, b, c = (rollout(RadioSchedulingEnv(), seed) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_randomness_does_not_depend_on_actions():
    """Common random numbers: the channel and the arrivals are the same whatever the scheduler does."""
    runs = []
    for action_seed in (0, 1):
        env = RadioSchedulingEnv()
        env.reset(seed=11)
        rng = np.random.default_rng(action_seed)
        cqi, arrived = [], []
        for _ in range(300):  # crosses a random-block boundary (256 TTIs)
            cqi.append(env.channel.cqi.copy())
            info = env.step(rng.integers(0, 4, 6))[4]
            arrived.append(info["arrived_bits"])
        runs.append((np.array(cqi), np.array(arrived)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def arrivals(config, seed, n_steps=300):
    env = RadioSchedulingEnv(config)
    env.reset(seed=seed)
    return np.array([env.step(np.zeros(env.n_rbgs, dtype=int))[4]["arrived_bits"] for _ in range(n_steps)])


def test_the_same_seed_gives_the_same_arrivals_whatever_the_channel():
    """Channel and traffic have streams of their own: more RBGs, or other fading, draw more channel numbers only."""
    reference = arrivals(None, seed=5)
    for config in ({"n_rbgs": 13}, {"n_rbgs": 1}, {"fading_correlation": 0.0, "snr_db_high": 30.0}):
        np.testing.assert_array_equal(arrivals(config, seed=5), reference)
    assert not np.array_equal(arrivals(None, seed=6), reference)
    start_a, start_b = RadioSchedulingEnv(), RadioSchedulingEnv({"n_rbgs": 13})
    start_a.reset(seed=5)
    start_b.reset(seed=5)
    np.testing.assert_array_equal(start_a.buffer_bits, start_b.buffer_bits)
    np.testing.assert_array_equal(start_a.channel.mean_snr_db, start_b.channel.mean_snr_db)


def test_bits_are_conserved_and_buffers_stay_within_bounds():
    env = RadioSchedulingEnv({"arrival_rate_mbps": 4.0})
    env.reset(seed=0)
    before = env.buffer_bits.sum()
    delivered = dropped = arrived = 0.0
    for _ in range(400):
        info = env.step(env.action_space.sample())
        delivered += info[4]["delivered_bits"].sum()
        dropped += info[4]["dropped_bits"].sum()
        arrived += info[4]["arrived_bits"].sum()
        assert np.all(env.buffer_bits >= 0) and np.all(env.buffer_bits <= env.config.buffer_size_bits)
    assert dropped > 0, "this load overflows the buffers"
    assert before + arrived - delivered - dropped == pytest.approx(env.buffer_bits.sum())


def test_reward_is_delivered_minus_penalised_drops_over_offered_load():
    env = RadioSchedulingEnv({"drop_penalty": 2.0, "arrival_rate_mbps": 5.0})
    env.reset(seed=5)
    for _ in range(100):
        _, reward, _, _, info = env.step(np.zeros(6, dtype=np.int64))
        expected = (info["delivered_bits"].sum() - 2.0 * info["dropped_bits"].sum()) / env.offered_bits_per_tti
        assert reward == pytest.approx(expected)


def test_delivery_follows_the_channel_of_the_chosen_user():
    env = RadioSchedulingEnv({"buffer_size_bits": 10**9, "arrival_rate_mbps": 100.0})
    env.reset(seed=2)
    env.queues.bits[:] = 10**8  # every buffer full enough that only the channel limits delivery
    bits = env.bits_per_rbg.copy()
    action = np.array([0, 1, 2, 3, 0, 1])
    info = env.step(action)[4]
    expected = np.bincount(action, weights=bits[action, np.arange(6)], minlength=4)
    np.testing.assert_allclose(info["delivered_bits"], expected)


def test_observation_splits_into_its_three_parts():
    env = RadioSchedulingEnv()
    obs, _ = env.reset(seed=0)
    cqi, buffer, throughput = env.split_observation(obs)
    assert cqi.shape == (4, 6) and buffer.shape == (4,) and throughput.shape == (4,)
    np.testing.assert_allclose(cqi * 15, env.channel.cqi)
    np.testing.assert_allclose(buffer, env.buffer_bits / env.config.buffer_size_bits, rtol=1e-6)
    batch = np.stack([obs, obs])
    assert env.split_observation(batch)[0].shape == (2, 4, 6)


def test_delay_critical_users_add_deadline_features_and_lose_late_packets():
    env = RadioSchedulingEnv(commenv.DELAY_CRITICAL)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (4 * 6 + 4 * 4,) and env.observation_space.contains(obs)
    assert env.split_observation(obs)[2].shape == (4,)  # the first three parts are where they always are
    expired = dropped = delivered = arrived = 0.0
    before = env.buffer_bits.sum()
    for _ in range(60):  # serve only user 3: the delay-critical users 0 and 1 lose packets
        obs, reward, _, _, info = env.step(np.full(6, 3))
        pressure, critical = env.split_delay_features(obs)
        np.testing.assert_array_equal(critical, [1, 1, 0, 0])
        np.testing.assert_allclose(pressure, np.where(env.critical, env.head_of_line_delay / 10, 0.0), rtol=1e-6)
        assert np.all(info["expired_bits"][2:] == 0) and env.observation_space.contains(obs)
        lost = info["dropped_bits"].sum() + info["expired_bits"].sum()
        assert reward == pytest.approx((info["delivered_bits"].sum() - lost) / env.offered_bits_per_tti)
        expired += info["expired_bits"].sum()
        dropped += info["dropped_bits"].sum()
        delivered += info["delivered_bits"].sum()
        arrived += info["arrived_bits"].sum()
    assert expired > 0 and env.head_of_line_delay[:2].max() <= 10
    assert before + arrived - delivered - dropped - expired == pytest.approx(env.buffer_bits.sum())
    with pytest.raises(ValueError, match="no delay-critical users"):
        RadioSchedulingEnv().split_delay_features(obs)


def test_without_delay_critical_users_nothing_expires():
    env = RadioSchedulingEnv({"deadline_ttis": 1})
    env.reset(seed=0)
    for _ in range(50):
        assert not env.step(np.zeros(6, dtype=np.int64))[4]["expired_bits"].any()


def test_render_draws_an_rgb_frame():
    pytest.importorskip("matplotlib")
    env = RadioSchedulingEnv(render_mode="rgb_array")
    env.reset(seed=0)
    for _ in range(5):
        env.step(env.action_space.sample())
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    assert frame.std() > 0
    assert RadioSchedulingEnv().render() is None


@pytest.mark.parametrize("config, match", [
    ({"n_use": 4}, "unknown env config key.*'n_use'"),
    ({"n_ues": 0}, "'n_ues'=0"),
    ({"n_rbgs": -2}, "'n_rbgs'=-2"),
    ({"n_ues": 2.5}, "'n_ues'=2.5"),
    ({"n_ues": True}, "'n_ues'=True"),
    ({"arrival_rate_mbps": float("nan")}, "'arrival_rate_mbps'=nan"),
    ({"arrival_rate_mbps": -1.0}, "'arrival_rate_mbps'=-1.0"),
    ({"arrival_rate_mbps": "high"}, "'arrival_rate_mbps'='high'"),
    ({"fading_correlation": 1.0}, r"\[0, 1\)"),
    ({"throughput_ema": 0}, r"\(0, 1\]"),
    ({"drop_penalty": -0.5}, "'drop_penalty'=-0.5"),
    ({"snr_db_low": float("inf")}, "'snr_db_low'=inf"),
    ({"snr_db_low": 30.0}, "must not exceed snr_db_high=20.0"),
    ({"buffer_size_bits": 100}, "packet_size_bits=12000"),
    ({"delay_critical_ues": 5}, "must not exceed n_ues=4"),
    ({"delay_critical_ues": -1}, "'delay_critical_ues'=-1"),
    ({"deadline_ttis": 0}, "'deadline_ttis'=0"),
])
def test_bad_config_names_the_value_and_what_is_allowed(config, match):
    with pytest.raises(ValueError, match=match):
        RadioSchedulingEnv(config)


def test_config_must_be_a_dict():
    with pytest.raises(TypeError, match="dict or None"):
        RadioSchedulingEnv([("n_ues", 4)])
    with pytest.raises(TypeError, match="dict or None"):
        make_env("n_ues=4")


def test_bad_episode_len_and_render_mode():
    with pytest.raises(ValueError, match="episode_len=0"):
        make_env({"episode_len": 0})
    with pytest.raises(ValueError, match="render_mode='human'"):
        RadioSchedulingEnv(render_mode="human")


@pytest.mark.parametrize("action, error, match", [
    (np.array([0, 1, 2, 3, 0]), ValueError, r"shape \(5,\).*expected \(6,\)"),
    (np.zeros((2, 6), dtype=int), ValueError, r"shape \(2, 6\)"),
    (np.array([0, 1, 2, 3, 0, 4]), ValueError, r"out of range.*\[0, 3\]"),
    (np.array([0, 1, 2, 3, 0, -1]), ValueError, r"out of range.*\[0, 3\]"),
    (np.array([0, 1, 2, 3, 0, 1.5]), TypeError, "must hold integers"),
    ([0, 1, 2, 3, 0, 9], ValueError, "out of range"),
    (3, ValueError, r"shape \(\)"),
])
def test_bad_action_is_refused_with_a_clear_error(action, error, match):
    env = RadioSchedulingEnv()
    env.reset(seed=0)
    with pytest.raises(error, match=match):
        env.step(action)


def test_lists_of_ints_act_like_the_same_array():
    from_list, from_array = RadioSchedulingEnv(), RadioSchedulingEnv()
    from_list.reset(seed=0)
    from_array.reset(seed=0)
    obs_list, reward_list, *_ = from_list.step([0, 1, 2, 3, 0, 1])
    obs_array, reward_array, *_ = from_array.step(np.array([0, 1, 2, 3, 0, 1]))
    np.testing.assert_array_equal(obs_list, obs_array)
    assert reward_list == reward_array


def test_step_before_reset_is_an_error():
    with pytest.raises(RuntimeError, match="before reset"):
        RadioSchedulingEnv().step(np.zeros(6, dtype=int))


def test_import_registers_the_gymnasium_id_once():
    spec = gym.registry[commenv.ENV_ID]
    assert spec.entry_point == "commenv.env:RadioSchedulingEnv" and spec.max_episode_steps == EPISODE_LEN
    commenv.register_gymnasium_id()  # a second call keeps the first registration (no "overriding" warning)
    assert gym.registry[commenv.ENV_ID] is spec
