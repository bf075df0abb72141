"""rllib_course.callbacks: the radio metrics a callback logs inside RLlib equal commenv.evaluate's, episode by episode.

The RLlib test builds one SingleAgentEnvRunner in this process (no Ray actors) and samples 2 greedy episodes.
"""
import numpy as np
import pytest

pytest.importorskip("ray")

import commenv  # noqa: E402
import commenv.rllib  # noqa: E402
from rllib_course.callbacks import METRICS, RadioMetricsCallback, _sub_env, episode_metrics  # noqa: E402
from rllib_course.callback_check import check_episode_metric  # noqa: E402
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
    finally:
        runner.stop()
    assert seeds == [5, 6] and set(logged) == set(METRICS)
    for name in ("drop_rate", "jain_fairness", "mean_delay_ms", "throughput_mbps"):
        assert logged[name] == pytest.approx(np.mean([run[name] for run in replay]), rel=1e-9), name
    assert logged["head_of_line_delay_ms"] > 0


def test_the_exercise_check_names_the_difference():
    assert check_episode_metric(lambda policy, seed: 2.0, None, [1, 2], 2.0, strict=True)
    with pytest.raises(ExerciseFailed, match="your mean over the 2 episodes is 1.000000, the callback logged 2.000000"):
        check_episode_metric(lambda policy, seed: 1.0, None, [1, 2], 2.0, strict=True)
    with pytest.raises(ExerciseFailed, match="one finite number"):
        check_episode_metric(lambda policy, seed: None, None, [1], 2.0, strict=True)
