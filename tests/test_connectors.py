"""GroupedMeanStdFilter: right statistics, RLlib's MeanStdFilter numbers without groups, state that travels."""
import copy

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ray")
from ray.rllib.connectors.env_to_module import MeanStdFilter  # noqa: E402
from ray.rllib.env.single_agent_episode import SingleAgentEpisode  # noqa: E402

from rllib_course.connectors import (GroupedMeanStdFilter, combine, scheduler_groups, stats_of,  # noqa: E402
                                     std_of)

SPACE = gym.spaces.Box(-100.0, 100.0, (6,), np.float32)
GROUPS = [(0, 3), (3, 5)]  # entry 5 belongs to no group


def observations(n_steps, n_episodes=3, seed=0):
    rng = np.random.default_rng(seed)
    scale = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 5.0])
    return (rng.normal(2.0, 1.0, (n_steps, n_episodes, 6)) * scale).astype(np.float32)


def feed(piece, obs):
    """Run ``piece`` as an EnvRunner does: after every (vector) step, on all episodes; return them."""
    episodes = [SingleAgentEpisode() for _ in range(obs.shape[1])]
    for t, row in enumerate(obs):
        for episode, x in zip(episodes, row):
            if t == 0:
                episode.add_env_reset(observation=x)
            else:
                episode.add_env_step(observation=x, action=0, reward=0.0)
        piece(rl_module=None, batch={}, episodes=episodes)
    return episodes


def test_combine_pools_statistics_like_numpy():
    rng = np.random.default_rng(1)
    parts = [rng.normal(3.0, 2.0, n) for n in (1, 7, 40)]
    pooled = stats_of([parts[0]])
    for part in parts[1:]:
        pooled = combine(pooled, stats_of([part]))
    everything = np.concatenate(parts)
    assert pooled["count"] == [48.0]
    assert np.isclose(pooled["mean"][0], everything.mean())
    assert np.isclose(std_of(pooled, 0), everything.std(ddof=1))
    assert combine(stats_of([[]]), stats_of([[]]))["count"] == [0.0]


def test_groups_share_one_mean_and_std_and_the_episodes_hold_the_result():
    obs = observations(20)
    piece = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS)
    episodes = feed(piece, obs)
    flat = obs.reshape(-1, 6)
    for g, (start, stop) in enumerate(GROUPS):
        assert piece.stats["count"][g] == flat[:, start:stop].size
        assert np.isclose(piece.stats["mean"][g], flat[:, start:stop].mean())
        assert np.isclose(std_of(piece.stats, g), flat[:, start:stop].std(ddof=1), rtol=1e-6)
    # Each episode's observation joins the statistics right before it is standardised, so the last
    # episode of the last call is standardised with everything seen.
    last = episodes[-1].get_observations(-1)
    mean, std = flat[:, 0:3].mean(), flat[:, 0:3].std(ddof=1)
    np.testing.assert_allclose(last[:3], (obs[-1, -1, :3] - mean) / (std + 1e-6), rtol=1e-5)
    assert last[5] == obs[-1, -1, 5]  # outside every group: unchanged
    space = piece.observation_space
    assert list(space.low) == [-10.0] * 5 + [-100.0] and list(space.high) == [10.0] * 5 + [100.0]


def test_without_groups_it_gives_rllibs_meanstdfilter_numbers():
    obs = observations(30)
    ours = GroupedMeanStdFilter(input_observation_space=SPACE)
    theirs = MeanStdFilter()  # RLlib 2.60's piece cannot take the space in its constructor
    theirs.input_observation_space = SPACE
    for a, b in zip(feed(ours, obs), feed(theirs, obs)):
        np.testing.assert_allclose(np.asarray(a.get_observations(slice(None))),
                                   np.asarray(b.get_observations(slice(None))), atol=1e-5)


def test_frozen_statistics_do_not_move_and_values_are_clipped():
    piece = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS, clip=1.5)
    feed(piece, observations(10))
    before = copy.deepcopy(piece.get_state())
    piece.update_stats = False
    episodes = feed(piece, observations(5, seed=3) * 100)
    assert piece.get_state() == before
    assert np.abs(np.asarray(episodes[0].get_observations(slice(None)))[:, :5]).max() == 1.5


def test_state_round_trip_and_merge_count_every_observation_once():
    obs_a, obs_b = observations(10, seed=1), observations(12, seed=2)
    a = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS)
    b = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS)
    local = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS)
    feed(a, obs_a)
    feed(b, obs_b)
    merged = local.merge_states([a.get_state(), b.get_state()])
    for piece in (a, b, local):  # what EnvRunnerGroup.sync_env_runner_states broadcasts
        piece.set_state(merged)
    both = np.concatenate([obs_a.reshape(-1, 6), obs_b.reshape(-1, 6)])
    assert np.isclose(local.stats["mean"][1], both[:, 3:5].mean())
    # a second round adds only what was new since: nothing is counted twice
    obs_c = observations(4, seed=4)
    feed(a, obs_c)
    merged = local.merge_states([a.get_state(), b.get_state()])
    assert merged["synced"]["count"][0] == both[:, 0:3].size + obs_c[..., 0:3].size
    assert merged["new"]["count"] == [0.0, 0.0]
    fresh = GroupedMeanStdFilter(input_observation_space=SPACE, groups=GROUPS)
    fresh.set_state(copy.deepcopy(merged))  # as from a checkpoint
    assert fresh.get_state() == merged and fresh.groups == GROUPS


def test_bad_groups_and_spaces_are_refused():
    with pytest.raises(ValueError, match=r"group \(4, 9\) does not fit an observation of 6 entries"):
        GroupedMeanStdFilter(input_observation_space=SPACE, groups=[(4, 9)])
    with pytest.raises(ValueError, match="flat Box"):
        GroupedMeanStdFilter(input_observation_space=gym.spaces.Discrete(3))


def test_scheduler_groups_cover_comm_envs_observation():
    assert scheduler_groups(4, 6) == [(0, 24), (24, 28), (28, 32)]
