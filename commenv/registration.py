"""Names under which the environment can be created: a gymnasium id and a factory for RLlib."""
from __future__ import annotations

import gymnasium as gym

from commenv.env import RadioSchedulingEnv

ENV_ID = "commenv/RadioScheduling-v1"
EPISODE_LEN = 200  # TTIs per episode (0.2 s of radio time)


def make_env(env_config: dict | None = None, episode_len: int | None = None, render_mode: str | None = None):
    """A ``RadioSchedulingEnv`` cut into episodes by ``TimeLimit``.

    ``env_config`` may also carry ``episode_len`` (TTIs, default 200), so one RLlib
    ``env_config`` dict describes the whole task.
    """
    if env_config is not None and not isinstance(env_config, dict):
        raise TypeError(f"env_config must be a dict or None, got {type(env_config).__name__}: {env_config!r}")
    env_config = dict(env_config or {})
    episode_len = env_config.pop("episode_len", EPISODE_LEN) if episode_len is None else episode_len
    if not (isinstance(episode_len, int) and not isinstance(episode_len, bool) and episode_len > 0):
        raise ValueError(f"episode_len={episode_len!r} must be a positive integer (TTIs per episode)")
    return gym.wrappers.TimeLimit(RadioSchedulingEnv(env_config, render_mode=render_mode), episode_len)


def register_gymnasium_id() -> None:
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="commenv.env:RadioSchedulingEnv", max_episode_steps=EPISODE_LEN)
