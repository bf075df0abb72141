"""The scheduler check of Lesson 1: good schedulers pass, and each kind of mistake gets its own message."""
import numpy as np
import pytest

import commenv
from rllib_course.scheduler_check import AWARENESS_LOADS, check_action, check_buffer_aware, check_scheduler


def weighted(obs, env):
    """The notebook's reference solution: channel quality boosted by buffer fill, empty buffers masked."""
    cqi, buffer, _ = env.unwrapped.split_observation(obs)
    score = cqi * (1.0 + 3.0 * buffer[:, None])
    if (buffer > 0).any():
        score = np.where(buffer[:, None] > 0, score, -np.inf)
    return score.argmax(axis=0)


def test_the_reference_solution_and_the_channel_aware_baselines_pass():
    metrics = check_scheduler(weighted)
    assert set(metrics) == set(commenv.METRICS)
    for policy in (commenv.ProportionalFair(), commenv.MaxThroughput()):
        check_scheduler(policy, n_episodes=3)


@pytest.mark.parametrize("action, match", [
    (None, "returned None"),
    (np.zeros((4, 6)), r"shape \(4, 6\), one score per"),
    (np.zeros(5, dtype=int), r"shape \(5,\)"),
    (np.zeros(6), "must be integers"),
    (np.full(6, 4), r"in \[0, 3\]"),
    (np.full(6, -1), r"in \[0, 3\]"),
])
def test_invalid_actions_are_explained(action, match):
    with pytest.raises(AssertionError, match=match):
        check_action(action, n_ues=4, n_rbgs=6)


def test_a_valid_list_is_accepted():
    assert check_action([0, 1, 2, 3, 0, 1], n_ues=4, n_rbgs=6).tolist() == [0, 1, 2, 3, 0, 1]


@pytest.mark.parametrize("name", [*commenv.all_baselines(), *commenv.strong_baselines()])
def test_every_buffer_aware_baseline_passes_the_awareness_check(name):
    check_buffer_aware({**commenv.all_baselines(), **commenv.strong_baselines()}[name])


def test_random_allocation_is_not_buffer_aware():
    with pytest.raises(AssertionError, match="whose buffer was empty"):
        check_buffer_aware(commenv.RandomScheduler())


def test_a_buffer_blind_scheduler_is_caught_at_the_first_empty_buffer():
    def best_channel(obs, env):
        cqi, _, _ = env.unwrapped.split_observation(obs)
        return cqi.argmax(axis=0)

    with pytest.raises(AssertionError, match=r"at TTI \d+ \(seed \d\) RBG \d went to user \d, whose buffer was empty"):
        check_buffer_aware(best_channel)


def test_the_action_check_runs_inside_the_episode():
    with pytest.raises(AssertionError, match="returned None"):
        check_scheduler(lambda obs, env: None)


def test_a_valid_buffer_aware_but_poor_scheduler_does_not_beat_round_robin():
    def worst_channel(obs, env):
        cqi, buffer, _ = env.unwrapped.split_observation(obs)
        score = -cqi
        if (buffer > 0).any():
            score = np.where(buffer[:, None] > 0, score, -np.inf)
        return score.argmax(axis=0)

    with pytest.raises(AssertionError, match="does not beat round robin"):
        check_scheduler(worst_channel, n_episodes=3)


def test_stateful_policies_are_reset_before_each_check_episode():
    class CountingRoundRobin(commenv.RoundRobin):
        """Round robin that records when it is reset and which turn each TTI starts from."""

        def __init__(self):
            self.resets, self.turns = 0, []

        def reset(self):
            super().reset()
            self.resets += 1

        def __call__(self, obs, env):
            self.turns.append(self.turn)
            return super().__call__(obs, env)

    policy = CountingRoundRobin()
    check_buffer_aware(policy, n_steps=5)
    assert policy.resets == len(AWARENESS_LOADS), "one reset before every check episode"
    assert policy.turns == [0, 1, 2, 3, 0] * len(AWARENESS_LOADS), "each episode starts from turn 0"
