"""RLlib glue: the ``comm_env`` name for ``PPOConfig().environment(...)`` and trained modules as policies.

Importing this module registers ``comm_env`` with Ray Tune's registry. Unlike a
``gymnasium.register`` call made in a notebook, that registry reaches remote EnvRunner
processes too, so ``num_env_runners >= 1`` works.
"""
from __future__ import annotations

import numpy as np
import torch
from ray.rllib.core.columns import Columns
from ray.tune.registry import register_env

from commenv.registration import make_env

RLLIB_ENV_NAME = "comm_env"


def _create(env_context):
    # env_context is RLlib's EnvContext: a dict of env_config (plus worker/vector indices as attributes).
    return make_env(dict(env_context))


def register() -> None:
    """(Re-)register ``comm_env``; safe to call any number of times."""
    register_env(RLLIB_ENV_NAME, _create)


register()


def module_policy(module, explore: bool = False):
    """Wrap an RLModule as ``policy(obs, env) -> action`` for ``commenv.evaluate``.

    With ``explore=False`` the action is the distribution's mode (greedy), computed by
    ``forward_inference``; with ``explore=True`` it is sampled from ``forward_exploration``.
    """
    dist_cls = module.get_exploration_action_dist_cls() if explore else module.get_inference_action_dist_cls()

    def policy(obs, env=None):
        batch = {Columns.OBS: torch.as_tensor(np.asarray(obs, dtype=np.float32)[None])}
        with torch.no_grad():
            out = module.forward_exploration(batch) if explore else module.forward_inference(batch)
            dist = dist_cls.from_logits(out[Columns.ACTION_DIST_INPUTS])
            action = dist.sample() if explore else dist.to_deterministic().sample()
        return action[0].numpy().astype(np.int64)

    return policy
