"""rllib_course.callbacks: the radio metrics a callback logs inside RLlib equal commenv.evaluate's, episode by episode.

The RLlib test builds one SingleAgentEnvRunner in this process (no Ray actors) and samples 2 greedy episodes.
"""
import numpy as np
import pytest

pytest.importorskip("ray")

import commenv  # noqa: E402
import commenv.rllib  # noqa: E402
from rllib_course.callbacks import METRICS, RadioMetricsCallback, _sub_env, episode_metrics  # noqa: E402
from rllib_course.callback_check import check_episode_metric, replay_head_of_line_delay_ms  # noqa: E402
from rllib_course.exercise import ExerciseFailed  # noqa: E402


def test_episode_metrics_follow_commenv_evaluate_for_one_episode():
    env = commenv.make_env()
    totals = commenv.run_episode(commenv.RoundRobin(), env, seed=3)
    totals["hol_sum"] = 0.0
    ours = episode_metrics(totals)
    reference = commenv.evaluate(commenv.RoundRobin(), n_episodes=1, seed=3)
    for name in ("drop_rate", "jain_fairness", "mean_delay_ms", "throughput_mbps"):
        assert ours[name] == pytest.approx(reference[name], rel=1e-12), name
    assert ours["head_of_line_delay_ms"] == 0.0


def test_a_vector_env_without_copies_is_refused_by_name():
    class AsyncLike:
        pass

    with pytest.raises(TypeError, match="synchronous vector env.*AsyncLike"):
        _sub_env(AsyncLike(), 0)


def test_callback_values_equal_a_replay_of_the_same_episodes():
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    from rllib_course.training import course_ppo_config

    config = course_ppo_config(seed=5).env_runners(num_envs_per_env_runner=2).callbacks(RadioMetricsCallback)
    runner = SingleAgentEnvRunner(config=config)
    try:
        runner.sample(num_episodes=2, explore=False)
        logged = {name: stats.peek() for name, stats in runner.get_metrics()["radio"].items()}
        seeds = [int(seed) for seed in runner.env.unwrapped.get_attr("np_random_seed")]
        policy = commenv.rllib.module_policy(runner.module)
        replay = [commenv.evaluate(policy, n_episodes=1, seed=seed) for seed in seeds]
        replayed_delay = [replay_head_of_line_delay_ms(policy, seed) for seed in seeds]
    finally:
        runner.stop()
    assert seeds == [5, 6] and set(logged) == set(METRICS)
    for name in ("drop_rate", "jain_fairness", "mean_delay_ms", "throughput_mbps"):
        assert logged[name] == pytest.approx(np.mean([run[name] for run in replay]), rel=1e-9), name
    assert logged["head_of_line_delay_ms"] > 0
    # the check's own replay (what it lists per episode when an answer is wrong) agrees with the callback
    assert logged["head_of_line_delay_ms"] == pytest.approx(np.mean(replayed_delay), rel=1e-9)
    assert check_episode_metric(replay_head_of_line_delay_ms, policy, seeds, logged["head_of_line_delay_ms"],
                                strict=True)


def _by_seed(policy, seed):  # a stand-in for the replay: the "right" value of each episode is its seed
    return float(seed)


def test_the_exercise_check_names_the_difference():
    assert check_episode_metric(lambda policy, seed: 2.0, None, [1, 3], 2.0, strict=True, reference=_by_seed)
    with pytest.raises(ExerciseFailed, match="your mean over the 2 episodes is 1.000000, the callback logged 2.000000"):
        check_episode_metric(lambda policy, seed: 1.0, None, [1, 3], 2.0, strict=True, reference=_by_seed)
    with pytest.raises(ExerciseFailed, match="one finite number"):
        check_episode_metric(lambda policy, seed: None, None, [1], 2.0, strict=True, reference=_by_seed)


def test_a_wrong_answer_is_listed_seed_by_seed():
    def off_for_seed_3(policy, seed):
        return float(seed) + (1.0 if seed == 3 else 0.0)

    with pytest.raises(ExerciseFailed) as wrong:
        check_episode_metric(off_for_seed_3, None, [1, 3], 2.0, strict=True, reference=_by_seed)
    lines = str(wrong.value).splitlines()
    assert "per episode, yours vs a replay of the same episode:" in lines
    assert "  seed 1: 1.000000 vs 1.000000" in lines
    assert "  seed 3: 4.000000 vs 3.000000   <- differs" in lines
    assert "does not match the logged value either" not in str(wrong.value)


def test_a_replay_that_misses_the_logged_value_says_so(capsys):
    assert not check_episode_metric(lambda policy, seed: 0.0, None, [1, 3], 5.0, reference=_by_seed)
    printed = capsys.readouterr().out
    assert printed.startswith("[wrong] head-of-line delay of an episode: your mean over the 2 episodes is 0.000000")
    assert "a replay of these seeds does not match the logged value either" in printed
    assert "  seed 1: 0.000000 vs 1.000000   <- differs" in printed
