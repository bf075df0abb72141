"""Checking a hand-written stitch of episode chunks against RLlib's own ``SingleAgentEpisode.concat_episode``.

``SingleAgentEnvRunner.sample(num_timesteps=...)`` returns the running episodes cut into chunks:
each chunk continues the previous one (same ``id_``, ``t_started`` equal to the previous ``t``),
starts with the observation the previous chunk ended with, and carries a lookback buffer of
``config.episode_lookback_horizon`` steps from it. The exercise of Lesson 2, notebook 3 asks for the
whole episode's columns from its chunks. ``check_stitch`` compares the answer with what RLlib's
``concat_episode`` assembles from copies of the same chunks and, when it differs, names the
usual mistake in one sentence.
"""
from __future__ import annotations

import copy

import numpy as np
from ray.rllib.core.columns import Columns

COLUMNS = (Columns.OBS, Columns.ACTIONS, Columns.REWARDS, Columns.ACTION_LOGP)


def rllib_stitch(chunks) -> dict:
    """The four columns of the whole episode, assembled by RLlib's ``concat_episode`` (on copies)."""
    whole = copy.deepcopy(chunks[0])
    for chunk in chunks[1:]:
        whole.concat_episode(copy.deepcopy(chunk))
    return {Columns.OBS: np.asarray(whole.get_observations()), Columns.ACTIONS: np.asarray(whole.get_actions()),
            Columns.REWARDS: np.asarray(whole.get_rewards()),
            Columns.ACTION_LOGP: np.asarray(whole.get_extra_model_outputs(Columns.ACTION_LOGP))}


def _getter(chunk, column):
    return {Columns.OBS: chunk.get_observations, Columns.ACTIONS: chunk.get_actions,
            Columns.REWARDS: chunk.get_rewards,
            Columns.ACTION_LOGP: lambda: chunk.get_extra_model_outputs(Columns.ACTION_LOGP)}[column]()


def _buffer(chunk, column):
    buffer = {Columns.OBS: chunk.observations, Columns.ACTIONS: chunk.actions, Columns.REWARDS: chunk.rewards,
              Columns.ACTION_LOGP: chunk.extra_model_outputs[Columns.ACTION_LOGP]}[column]
    return np.asarray(buffer.data)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a.astype(float), b.astype(float), rtol=1e-6, atol=1e-6)


def _mistake(column, got, chunks, want) -> str:
    """One sentence about what ``got`` holds instead of RLlib's column ``want``."""
    each = [np.asarray(_getter(c, column)) for c in chunks]
    raw = [_buffer(c, column) for c in chunks]
    guesses = [
        (np.concatenate(raw), "you took the chunks' raw buffers (`.data`), which start with the lookback buffer, "
                              "steps that belong to the chunk before; use the getters (get_observations(), ...)"),
        (np.concatenate(each[::-1]), "the chunks are in reverse order; the first chunk starts the episode"),
    ]
    if column == Columns.OBS:
        guesses += [
            (np.concatenate(each), "each chunk starts with the observation the previous chunk ended with: "
                                   "keep that observation once"),
            (np.concatenate([e[:-1] for e in each]), "the final observation is missing: an episode has one more "
                                                     "observation than actions"),
            (np.concatenate([e[1:] for e in each]), "the reset observation of the first chunk is missing"),
        ]
    for guess, message in guesses:
        if _same(got, guess):
            return message
    got = np.asarray(got)
    if got.shape[:1] != want.shape[:1]:
        return f"{len(got)} rows, but the episode has {len(want)} (chunk lengths: {[len(c) for c in chunks]})"
    if got.shape != want.shape:
        return f"shape {got.shape}, RLlib's is {want.shape}"
    row = int(np.argmax([not _same(g, w) for g, w in zip(got, want)]))
    return f"first difference at row {row} of {len(want)}"


def check_stitch(stitch, chunks) -> None:
    """``stitch(chunks)`` must return RLlib's columns of the whole episode that ``chunks`` cut into pieces.

    ``chunks``: the pieces of one episode, in order, as ``sample()`` returned them. The learner's
    function gets deep copies (RLlib's ``concat_episode`` changes the episode it extends) and must
    return a dict with the keys ``"obs"`` (T + 1 rows), ``"actions"``, ``"rewards"`` and
    ``"action_logp"`` (T rows each). Raises ``AssertionError`` with one sentence when something is wrong.
    """
    if not chunks or len({c.id_ for c in chunks}) != 1:
        raise ValueError("check_stitch needs the chunks of one episode (one id_), in order")
    want = rllib_stitch(chunks)
    got = stitch(copy.deepcopy(list(chunks)))
    assert got is not None, "your function returned None: did you forget the `return`?"
    assert isinstance(got, dict), f"return a dict with the keys {list(COLUMNS)}, not a {type(got).__name__}"
    missing = [column for column in COLUMNS if column not in got]
    assert not missing, f"the dict lacks the keys {missing}"
    for column in COLUMNS:
        if not _same(got[column], want[column]):
            raise AssertionError(f"{column!r}: " + _mistake(column, got[column], chunks, want[column]))
