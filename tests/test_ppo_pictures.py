"""rllib_course.ppo_pictures: Lesson 1.3's recorded episode, GAE through RLlib, the exercise check and figures."""
import matplotlib
import numpy as np
import pytest

import commenv

matplotlib.use("Agg")

pytest.importorskip("ray.rllib")
torch = pytest.importorskip("torch")

from rllib_course import ppo_pictures  # noqa: E402


def _trace(n_steps=None, env_config=commenv.DELAY_CRITICAL):
    return ppo_pictures.record_observations(commenv.ProportionalFair(), commenv.make_env(env_config), seed=3,
                                            n_steps=n_steps)


def _gae_loop(rewards, values, gamma, lambda_):
    deltas = rewards + gamma * values[1:] - values[:-1]
    out, running = np.zeros(len(deltas)), 0.0
    for t in reversed(range(len(deltas))):
        running = deltas[t] + gamma * lambda_ * running
        out[t] = running
    return out


def test_record_observations_shapes_and_parts():
    trace = _trace()
    env = commenv.make_env(commenv.DELAY_CRITICAL).unwrapped
    t, u, r = commenv.EPISODE_LEN, env.n_ues, env.n_rbgs
    assert trace["obs"].shape == (t + 1, u * r + 4 * u)
    assert trace["actions"].shape == (t, r) and trace["rewards"].shape == (t,)
    assert trace["cqi"].shape == (t, u, r) and trace["buffer"].shape == (t, u) == trace["pressure"].shape
    assert trace["critical"].tolist() == [True, True, False, False] and trace["truncated"]
    assert np.all(trace["pressure"][:, 2:] == 0) and trace["pressure"].max() <= 1.0
    np.testing.assert_array_equal(trace["cqi"][0], env.split_observation(trace["obs"][:1])[0][0])


def test_record_observations_default_cell_and_n_steps():
    trace = _trace(n_steps=7, env_config=commenv.DEFAULT)
    assert trace["actions"].shape[0] == 7 and trace["obs"].shape[0] == 8
    assert not trace["critical"].any() and not trace["pressure"].any() and not trace["truncated"]
    with pytest.raises(ValueError, match="n_steps"):
        _trace(n_steps=0)


@pytest.mark.parametrize("lambda_", [0.0, 0.5, 0.95, 1.0])
def test_gae_advantages_is_the_recursion(lambda_):
    rng = np.random.default_rng(0)
    rewards, values = rng.normal(1, 0.5, 50), rng.normal(15, 2, 51)
    np.testing.assert_allclose(ppo_pictures.gae_advantages(rewards, values, 0.95, lambda_),
                               _gae_loop(rewards, values, 0.95, lambda_), rtol=1e-4, atol=1e-3)


def test_gae_advantages_needs_the_bootstrap_value():
    with pytest.raises(ValueError, match="bootstrap"):
        ppo_pictures.gae_advantages(np.ones(5), np.ones(5), 0.9, 0.9)


def test_check_one_step_advantage_accepts_the_answer_and_names_mistakes():
    rng = np.random.default_rng(1)
    rewards, values, gamma = rng.normal(1, 0.5, 30), rng.normal(15, 2, 31), 0.95
    ppo_pictures.check_one_step_advantage(lambda r, v, g: r + g * v[1:] - v[:-1], rewards, values, gamma)
    wrong = {
        "missing": lambda r, v, g: r - v[:-1],
        "discounted": lambda r, v, g: r + v[1:] - v[:-1],
        "sign": lambda r, v, g: -(r + g * v[1:] - v[:-1]),
        "shape": lambda r, v, g: r[:-1],
        "None": lambda r, v, g: None,
        "first difference": lambda r, v, g: _gae_loop(r, v, g, 0.5),
    }
    for words, answer in wrong.items():
        with pytest.raises(AssertionError, match=words):
            ppo_pictures.check_one_step_advantage(answer, rewards, values, gamma)


def test_describe_tti_marks_the_allocation():
    trace = _trace(n_steps=5)
    text = ppo_pictures.describe_tti(trace, 2)
    lines = text.splitlines()
    assert lines[0].startswith("TTI 2") and len(lines) == 1 + trace["buffer"].shape[1]
    assert text.count("[") == trace["actions"].shape[1]  # one bracket per RBG
    assert "delay-critical" in lines[1] and "best effort" in lines[-1]
    assert sum(int(line.split()[-1]) for line in lines[1:]) == trace["actions"].shape[1]


def test_figures_draw():
    import matplotlib.pyplot as plt

    trace = _trace(n_steps=20)
    figures = [
        ppo_pictures.plot_schedule_with_state(trace, tti=4),
        ppo_pictures.plot_clipped_surrogate(
            lambda ratio, a: torch.min(a * ratio, a * torch.clamp(ratio, 0.8, 1.2)), 0.2),
        ppo_pictures.plot_learning_curve({"steps": [1, 2], "entropy": [8.0, 7.0]},
                                         {"steps": [0, 2], "greedy": [1.0, 2.0], "sampled": [0.5, 1.5]},
                                         {"rule": 1.5, "bound": 3.0}),
        ppo_pictures.plot_advantages({0.0: np.zeros(20), 1.0: np.ones(20)}, trace["rewards"], np.ones(21)),
    ]
    assert [len(f.axes) for f in figures] == [4, 2, 2, 2]
    plt.close("all")


def test_held_out_returns_match_one_episode_at_a_time():
    from commenv.rllib import module_policy
    from commenv.rllib.modules import DeadlinePairScorerModule
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    env = commenv.make_env(commenv.DELAY_CRITICAL)
    torch.manual_seed(0)
    module = RLModuleSpec(module_class=DeadlinePairScorerModule, observation_space=env.observation_space,
                          action_space=env.action_space, model_config={"fcnet_hiddens": [8]}).build()
    side_by_side = ppo_pictures.held_out_returns(module, 3, 10_000, commenv.DELAY_CRITICAL)
    one_by_one = [commenv.run_episode(module_policy(module), env, 10_000 + i)["return"] for i in range(3)]
    np.testing.assert_allclose(side_by_side, one_by_one, rtol=1e-6)
    sampled = ppo_pictures.held_out_returns(module, 3, 10_000, commenv.DELAY_CRITICAL, explore=True)
    assert sampled.shape == (3,) and not np.allclose(sampled, side_by_side)
