"""Baselines and evaluation: they run, they are fair to themselves, and their order matches theory."""
from types import SimpleNamespace

import numpy as np
import pytest

import commenv
from commenv import (MLWDF, BufferWeighted, ExpPF, GreedyDelivery, MaxThroughput, ProportionalFair, RandomScheduler,
                     RoundRobin, evaluate)
from commenv.baselines import BufferAwareScheduler
from commenv.metrics import METRICS, jain_fairness


SATURATED = {"arrival_rate_mbps": 20.0}  # every buffer always full: the regime of the textbook results


def score_all(env_config=None):
    policies = {**commenv.all_baselines(), **commenv.strong_baselines(), "random": RandomScheduler()}
    return {name: evaluate(policy, n_episodes=8, seed=100, env_config=env_config) for name, policy in policies.items()}


@pytest.fixture(scope="module")
def scores():
    return score_all()


@pytest.fixture(scope="module")
def saturated():
    return score_all(SATURATED)


def test_every_metric_is_reported_and_sane(scores):
    for name, row in scores.items():
        assert set(row) == set(METRICS), name
        assert 0 <= row["drop_rate"] < 1 and 0.25 <= row["jain_fairness"] <= 1
        assert row["throughput_mbps"] > 0 and row["mean_delay_ms"] > 0 and row["mean_buffer_kbit"] > 0


def test_max_throughput_delivers_the_most_when_buffers_are_full(saturated):
    """With finite traffic, serving the best channels can starve a user into dropping, so the claim is
    tested where theory makes it: every buffer always full."""
    best = saturated["max throughput"]["throughput_mbps"]
    assert best > max(saturated[n]["throughput_mbps"] for n in ("round robin", "proportional fair", "random"))
    # Greedy delivery *is* max-CQI while no buffer can run dry within a TTI.
    assert saturated["greedy delivery"]["throughput_mbps"] == pytest.approx(best, rel=1e-3)


def test_proportional_fair_is_fairer_than_max_throughput(scores, saturated):
    for table in (scores, saturated):
        assert table["proportional fair"]["jain_fairness"] > table["max throughput"]["jain_fairness"]


def test_round_robin_is_fairest_among_channel_blind_schedulers(scores):
    assert scores["round robin"]["jain_fairness"] > scores["random"]["jain_fairness"]


def test_channel_aware_schedulers_beat_the_channel_blind_ones(scores):
    for aware in ("max throughput", "proportional fair", "greedy delivery"):
        assert scores[aware]["mean_return"] > scores["round robin"]["mean_return"] > scores["random"]["mean_return"]


def test_same_seeds_give_identical_numbers():
    assert evaluate(ProportionalFair(), 3, seed=7) == evaluate(ProportionalFair(), 3, seed=7)
    assert evaluate(ProportionalFair(), 3, seed=7) != evaluate(ProportionalFair(), 3, seed=8)


@pytest.mark.parametrize("policy", [RoundRobin(), MaxThroughput(), ProportionalFair(), GreedyDelivery(),
                                    BufferWeighted(), MLWDF(), ExpPF()])
def test_no_rbg_goes_to_an_empty_buffer_while_another_user_waits(policy):
    env = commenv.RadioSchedulingEnv()
    env.reset(seed=0)
    env.queues.bits[:] = [0.0, 0.0, 5e5, 0.0]  # only user 2 has data, plenty of it
    action = policy(None, env)
    assert np.all(action == 2)


def test_the_lessons_keep_their_four_textbook_baselines():
    """Lesson 1's stored tables list exactly these; the tuned rules come from strong_baselines()."""
    assert list(commenv.all_baselines()) == ["round robin", "max throughput", "proportional fair", "greedy delivery"]
    assert list(commenv.strong_baselines()) == ["buffer weighted", "M-LWDF", "EXP/PF"]


def test_the_tuned_rules_beat_the_textbook_ones(scores):
    """Serving a filling buffer before it drops is what the reward pays for."""
    textbook = max(scores[name]["mean_return"] for name in commenv.all_baselines())
    for name in commenv.strong_baselines():
        assert scores[name]["mean_return"] > textbook, name
    assert scores["buffer weighted"]["drop_rate"] < scores["proportional fair"]["drop_rate"]


def test_buffer_weighted_is_the_exercise_rule():
    """Weight 0 is max-CQI on the CQI index; a fuller buffer wins an RBG whose CQI is only a little worse."""
    env = commenv.RadioSchedulingEnv()
    env.reset(seed=0)
    env.channel.cqi = np.array([[10] * 6, [9] * 6, [1] * 6, [1] * 6])
    env.queues.bits[:] = [12_000.0, 48_000.0, 0.0, 0.0]
    assert np.all(BufferWeighted(0.0).scores(env).argmax(axis=0) == 0)
    assert np.all(BufferWeighted(1.0).scores(env).argmax(axis=0) == 1)  # 10 * 1.2 < 9 * 1.8
    np.testing.assert_allclose(BufferWeighted(3.0).scores(env)[1], 9 / 15 * (1 + 3 * 0.8))


def test_mlwdf_serves_the_longest_waiting_user_among_equal_channels():
    env = commenv.RadioSchedulingEnv()
    env.reset(seed=0)
    for _ in range(30):  # give user 0 nothing: its head-of-line packet ages
        env.step(np.array([1, 2, 3, 1, 2, 3]))
    delay = env.head_of_line_delay
    scores = MLWDF().scores(env)
    np.testing.assert_allclose(scores, delay[:, None] * env.bits_per_rbg / (env.avg_throughput[:, None] + 1.0))
    assert delay[0] == delay.max() > 1


def cell_state(delay):
    """What the delay-aware rules read from an env, for 3 users with equal buffers and random channels."""
    rng = np.random.default_rng(0)
    return SimpleNamespace(head_of_line_delay=np.array(delay), bits_per_rbg=rng.uniform(100, 2000, (3, 6)),
                           avg_throughput=rng.uniform(0, 3000, 3), buffer_bits=np.full(3, 24_000.0),
                           has_deadlines=False)


def test_exp_pf_is_proportional_fair_while_delays_are_equal():
    env = cell_state([7, 7, 7])
    np.testing.assert_allclose(ExpPF().scores(env), ProportionalFair().scores(env))
    # A user whose delay runs ahead of the others' gains exponentially: exp((a W - mean) / (1 + sqrt(mean))).
    late = cell_state([60, 7, 7])
    a = -np.log(0.05) / 10.0
    mean = a * (60 + 7 + 7) / 3
    boost = np.exp((a * np.array([60, 7, 7]) - mean) / (1 + np.sqrt(mean)))
    np.testing.assert_allclose(ExpPF(10.0).scores(late), boost[:, None] * ProportionalFair().scores(late))
    assert boost[0] > 5 * boost[1]


@pytest.mark.parametrize("make, match", [(lambda: BufferWeighted(-1.0), "weight=-1.0"),
                                         (lambda: BufferWeighted(float("nan")), "weight=nan"),
                                         (lambda: ExpPF(0.0), "target_delay_tti=0.0"),
                                         (lambda: ExpPF(10.0, 1.0), "violation_probability=1.0")])
def test_tuned_rules_refuse_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_round_robin_gives_each_user_a_turn():
    env = commenv.RadioSchedulingEnv({"arrival_rate_mbps": 50.0})
    env.reset(seed=0)
    env.queues.bits[:] = env.config.buffer_size_bits
    policy = RoundRobin()
    served = np.zeros(4)
    for _ in range(4):
        served += np.bincount(policy(None, env), minlength=4)
    assert np.all(served == served[0])


def test_the_base_scheduler_must_be_given_scores():
    env = commenv.RadioSchedulingEnv()
    env.reset(seed=0)
    with pytest.raises(NotImplementedError):
        BufferAwareScheduler()(None, env)


def test_jain_fairness_extremes_and_bad_input():
    assert jain_fairness([1, 1, 1, 1]) == pytest.approx(1.0)
    assert jain_fairness([1, 0, 0, 0]) == pytest.approx(0.25)
    assert jain_fairness([0, 0]) == 1.0
    for bad in ([], [-1, 1], [np.nan, 1], [[1, 2]]):
        with pytest.raises(ValueError, match="jain_fairness"):
            jain_fairness(bad)


@pytest.mark.parametrize("kwargs, match", [({"n_episodes": 0}, "n_episodes=0"), ({"seed": -1}, "seed=-1"),
                                           ({"seed": 1.5}, "seed=1.5")])
def test_evaluate_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate(RoundRobin(), **{"n_episodes": 1, "seed": 0, **kwargs})


def test_with_deadlines_the_delay_aware_rules_boost_only_the_delay_critical_users():
    env = commenv.make_env(commenv.DELAY_CRITICAL).unwrapped
    env.reset(seed=3)
    for _ in range(6):  # serve only user 3: the others' packets age
        env.step(np.full(6, 3))
    delay, pf = env.head_of_line_delay, ProportionalFair().scores(env)
    a = -np.log(0.05) / env.config.deadline_ttis
    expected = np.where(env.critical, a * delay, 1.0)[:, None] * pf
    np.testing.assert_allclose(MLWDF().scores(env), expected)
    exp_scores = ExpPF().scores(env)
    np.testing.assert_allclose(exp_scores[2:], pf[2:])  # best effort: plain proportional fair
    assert not np.allclose(exp_scores[:2], pf[:2])
    fill = env.buffer_bits / env.config.buffer_size_bits
    rule = BufferWeighted(2.0, 3.0)
    boost = np.where(env.critical, 3.0 * delay / env.config.deadline_ttis, 2.0 * fill)
    np.testing.assert_allclose(rule.scores(env), env.channel.cqi / 15 * (1 + boost[:, None]))


def test_strong_baselines_take_the_weights_tuned_for_the_cell():
    assert commenv.strong_baselines()["buffer weighted"].weight == BufferWeighted.DEFAULT_WEIGHT
    tuned = commenv.strong_baselines(commenv.DELAY_CRITICAL)["buffer weighted"]
    assert (tuned.weight, tuned.deadline_weight) == BufferWeighted.TUNED_FOR_DEADLINES
    with pytest.raises(ValueError, match="deadline_weight=-2"):
        BufferWeighted(1.0, -2)
