"""The GAE exercise check of Lesson 2: the right recursion passes, each typical mistake gets its own message."""
import numpy as np
import pytest

pytest.importorskip("ray")

from ray.rllib.utils.postprocessing.value_predictions import compute_value_targets  # noqa: E402

from rllib_course.gae_check import check_gae, episode_pieces, standardize  # noqa: E402

GAMMA, LAMBDA = 0.95, 0.9


def rllib_like_batch(lengths=(7, 4, 5), seed=0):
    """Columns laid out as RLlib's Learner connector lays them out: each piece plus one bootstrap row."""
    rng = np.random.default_rng(seed)
    rows = sum(n + 1 for n in lengths)
    mask = np.concatenate([[True] * n + [False] for n in lengths])
    truncateds = np.concatenate([[False] * (n - 1) + [True, False] for n in lengths])
    rewards = np.where(mask, rng.uniform(0.0, 2.0, rows), 0.0).astype(np.float32)
    values = rng.normal(5.0, 1.0, rows).astype(np.float32)
    targets = compute_value_targets(values=values, rewards=rewards, terminateds=np.zeros(rows),
                                    truncateds=truncateds.astype(float), gamma=GAMMA, lambda_=LAMBDA)
    batch = {"rewards": rewards, "loss_mask": mask, "value_targets": targets,
             "advantages": standardize(targets - values).astype(np.float32)}
    return batch, values


def solution(rewards, values, gamma, lambda_):
    deltas = rewards + gamma * values[1:] - values[:-1]
    advantages, running = np.zeros_like(deltas), 0.0
    for t in reversed(range(len(deltas))):
        running = deltas[t] + gamma * lambda_ * running
        advantages[t] = running
    return advantages


def test_pieces_follow_the_bootstrap_rows():
    batch, _ = rllib_like_batch()
    assert episode_pieces(batch["loss_mask"]) == [(0, 7), (8, 12), (13, 18)]
    with pytest.raises(ValueError, match="end with the False row"):
        episode_pieces([True, False, True])


def test_standardize_matches_rllibs_floor():
    assert np.allclose(standardize([1.0, 3.0]), [-1.0, 1.0])
    assert np.allclose(standardize([2.0, 2.0]), [0.0, 0.0])  # std 0 -> divided by 1e-4, not by 0


def test_the_recursion_passes_against_rllibs_columns():
    batch, values = rllib_like_batch()
    check_gae(solution, batch, values, GAMMA, LAMBDA)


def _discounted_minus_value(rewards, values, gamma, lambda_):
    return solution(rewards, values, gamma, 1.0)


def _forwards(rewards, values, gamma, lambda_):
    deltas = rewards + gamma * values[1:] - values[:-1]
    out, running = np.zeros_like(deltas), 0.0
    for t in range(len(deltas)):  # wrong direction
        running = deltas[t] + gamma * lambda_ * running
        out[t] = running
    return out


@pytest.mark.parametrize("answer, match", [
    (lambda r, v, g, lam: None, "returned None"),
    (lambda r, v, g, lam: solution(r, v, g, lam)[:-1], "return .* advantages"),
    (lambda r, v, g, lam: solution(r, v, g, lam) + v[:-1], "value targets"),
    (lambda r, v, g, lam: standardize(solution(r, v, g, lam)), "standardised"),
    (lambda r, v, g, lam: solution(r, np.append(v[:-1], 0.0), g, lam), "bootstrap with values"),
    (lambda r, v, g, lam: r + g * v[1:] - v[:-1], "one-step TD error"),
    (_discounted_minus_value, "lambda_ = 1"),
    (lambda r, v, g, lam: solution(r, v, 1.0, lam), "gamma is missing"),
    (_forwards, "first difference at step"),
])
def test_mistakes_are_named(answer, match):
    batch, values = rllib_like_batch()
    with pytest.raises(AssertionError, match=match):
        check_gae(answer, batch, values, GAMMA, LAMBDA)


def test_values_from_other_weights_are_reported():
    batch, values = rllib_like_batch()
    batch["advantages"] = batch["advantages"][::-1].copy()  # columns that no longer belong together
    with pytest.raises(AssertionError, match="same weights"):
        check_gae(solution, batch, values, GAMMA, LAMBDA)
