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


def module_actions(module, obs, explore: bool = False) -> np.ndarray:
    """Actions of an RLModule for a batch of observations (B, obs_dim), as RLlib's ``GetActions`` picks them.

    A module that draws its actions itself (``Columns.ACTIONS`` in its output, as
    ``SequentialPairScorerModule`` does) is taken at its word; otherwise the action distribution is
    built from ``Columns.ACTION_DIST_INPUTS`` and sampled (``explore=True``) or its mode taken.
    """
    batch = {Columns.OBS: torch.as_tensor(np.asarray(obs, dtype=np.float32))}
    with torch.no_grad():
        out = module.forward_exploration(batch) if explore else module.forward_inference(batch)
        if Columns.ACTIONS in out:
            return out[Columns.ACTIONS].numpy().astype(np.int64)
        dist_cls = module.get_exploration_action_dist_cls() if explore else module.get_inference_action_dist_cls()
        dist = dist_cls.from_logits(out[Columns.ACTION_DIST_INPUTS])
        action = dist.sample() if explore else dist.to_deterministic().sample()
    return action.numpy().astype(np.int64)


def module_policy(module, explore: bool = False):
    """Wrap an RLModule as ``policy(obs, env) -> action`` for ``commenv.evaluate``.

    With ``explore=False`` the action is the distribution's mode (greedy), computed by
    ``forward_inference``; with ``explore=True`` it is sampled from ``forward_exploration``.
    """

    def policy(obs, env=None):
        return module_actions(module, np.asarray(obs)[None], explore)[0]

    return policy


from commenv.baselines import BufferAwareScheduler  # noqa: E402  (kept here: the lines above are shown in lessons)


class ModuleScores(BufferAwareScheduler):
    """A trained RLModule's logits as the scores of the rules' buffer-aware allocator.

    Greedy decoding (``module_policy``) takes each RBG's likeliest user on its own, so two RBGs can
    go to a user whose buffer the first one already empties. The rules never do that: their
    ``BufferAwareScheduler`` hands the RBGs out in order, each to the highest-scoring user that still
    has data. This class gives the learned network the same allocator, its logit for user ``u`` on
    RBG ``r`` standing where a rule's score would; the network and its training do not change.
    """

    name = "PPO, buffer-aware"

    def __init__(self, module):
        self.module = module

    def logits(self, obs, env) -> np.ndarray:
        """The module's action logits for one observation, as (n_ues, n_rbgs) scores."""
        batch = {Columns.OBS: torch.as_tensor(np.asarray(obs, dtype=np.float32)[None])}
        with torch.no_grad():
            out = self.module.forward_inference(batch)
        if Columns.ACTION_DIST_INPUTS not in out:
            raise ValueError(f"{type(self.module).__name__}.forward_inference returns no "
                             f"{Columns.ACTION_DIST_INPUTS!r}: there are no logits to score the users with")
        # MultiCategorical over n_rbgs sub-actions: RBG r's n_ues logits come r-th.
        return out[Columns.ACTION_DIST_INPUTS][0].numpy().reshape(env.n_rbgs, env.n_ues).T

    def __call__(self, obs, env) -> np.ndarray:
        env = env.unwrapped
        return self.allocate(env, self.logits(obs, env))
