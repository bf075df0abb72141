"""The episode-stitching exercise check: the right answer passes, each typical mistake gets its own message."""
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ray")
from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner  # noqa: E402

from rllib_course.episode_check import check_stitch, rllib_stitch  # noqa: E402
from rllib_course.training import course_ppo_config  # noqa: E402


@pytest.fixture(scope="module")
def chunks():
    runner = SingleAgentEnvRunner(config=course_ppo_config(seed=0).env_runners(num_envs_per_env_runner=2))
    samples = [runner.sample(num_timesteps=8) for _ in range(3)]  # 4 steps per env and call
    runner.stop()
    first = samples[0][0].id_
    return [episode for sample in samples for episode in sample if episode.id_ == first]


def solution(chunks):
    obs = [chunks[0].get_observations()] + [c.get_observations()[1:] for c in chunks[1:]]
    return {"obs": np.concatenate(obs),
            "actions": np.concatenate([c.get_actions() for c in chunks]),
            "rewards": np.concatenate([c.get_rewards() for c in chunks]),
            "action_logp": np.concatenate([c.get_extra_model_outputs("action_logp") for c in chunks])}


def test_the_chunks_continue_each_other(chunks):
    assert [len(c) for c in chunks] == [4, 4, 4]
    assert [c.t_started for c in chunks] == [0, 4, 8]
    assert [c.observations.lookback for c in chunks] == [0, 1, 1]
    assert rllib_stitch(chunks)["obs"].shape == (13, 32)


def test_the_right_stitch_passes_and_the_chunks_stay_untouched(chunks):
    before = [len(c) for c in chunks]
    check_stitch(solution, chunks)
    assert [len(c) for c in chunks] == before


def _with(column, transform):
    def answer(chunks):
        out = solution(chunks)
        out[column] = transform(chunks)
        return out
    return answer


@pytest.mark.parametrize("answer, match", [
    (lambda chunks: None, "returned None"),
    (lambda chunks: [1, 2], "return a dict"),
    (lambda chunks: {"obs": solution(chunks)["obs"]}, "lacks the keys"),
    (_with("obs", lambda cs: np.concatenate([c.get_observations() for c in cs])), "keep that observation once"),
    (_with("obs", lambda cs: np.concatenate([np.asarray(c.observations.data) for c in cs])), "lookback buffer"),
    (_with("obs", lambda cs: np.concatenate([c.get_observations()[:-1] for c in cs])), "final observation"),
    (_with("obs", lambda cs: np.concatenate([c.get_observations()[1:] for c in cs])), "reset observation"),
    (_with("actions", lambda cs: np.concatenate([c.get_actions() for c in cs[::-1]])), "reverse order"),
    (_with("rewards", lambda cs: np.concatenate([c.get_rewards() for c in cs])[:-1]), "11 rows, but the episode"),
    (_with("action_logp", lambda cs: np.concatenate([c.get_extra_model_outputs("action_logp") for c in cs]) + 1),
     "first difference at row 0"),
])
def test_mistakes_are_named(chunks, answer, match):
    with pytest.raises(AssertionError, match=match):
        check_stitch(answer, chunks)


def test_chunks_of_two_episodes_are_refused(chunks):
    other = chunks[0].cut()
    other.id_ = "another"
    with pytest.raises(ValueError, match="one episode"):
        check_stitch(solution, [chunks[0], other])
