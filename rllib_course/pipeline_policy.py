"""Acting outside an EnvRunner with RLlib's own connector pipelines: what a deployment must run.

One step of ``SingleAgentEnvRunner.sample()`` is three calls: the env-to-module pipeline turns the
episodes into the module's batch, the module's ``forward_exploration`` (or ``forward_inference``)
computes the action-distribution inputs, and the module-to-env pipeline (its first piece is
``GetActions``) turns them into actions. ``act`` makes exactly these three calls, and
``PipelinePolicy`` wraps them as ``policy(obs, env) -> action`` for ``commenv.evaluate``.

``commenv.rllib.module_policy`` computes actions from the module alone. That is the same as long
as the env-to-module pipeline only batches and converts the observation (RLlib's default pieces);
a piece that changes the observations, such as ``rllib_course.connectors.GroupedMeanStdFilter``,
must run at inference too, and only ``PipelinePolicy`` runs it.
"""
from __future__ import annotations

import numpy as np
from ray.rllib.core.columns import Columns
from ray.rllib.env.single_agent_episode import SingleAgentEpisode


def act(module, env_to_module, module_to_env, episodes, explore: bool) -> dict:
    """One action per episode, as the EnvRunner computes it; returns the module-to-env output.

    Its ``Columns.ACTIONS`` are the actions to store in the episodes, ``Columns.ACTIONS_FOR_ENV``
    (when present) those to send to the environment; the other entries (``action_logp``,
    ``action_dist_inputs``) are what the EnvRunner stores as ``extra_model_outputs``. The two
    pipelines share one ``shared_data`` dict: the env-to-module pipeline notes there which batch row
    belongs to which episode, and the module-to-env pipeline reads it to split the batch again.
    """
    shared_data = {}
    batch = env_to_module(rl_module=module, batch={}, episodes=episodes, explore=explore, shared_data=shared_data)
    out = module.forward_exploration(batch) if explore else module.forward_inference(batch)
    return module_to_env(rl_module=module, batch=dict(out), episodes=episodes, explore=explore,
                         shared_data=shared_data)


class PipelinePolicy:
    """``policy(obs, env) -> action`` that runs ``env_to_module``, the module and ``module_to_env``.

    Each call wraps the observation in a new one-step ``SingleAgentEpisode``, which is all that
    pieces reading only the latest observation need (RLlib's default pieces, ``GroupedMeanStdFilter``);
    pieces that look back in time (frame stacking, previous actions) would need the whole episode.
    Stateful pieces keep learning from what they see unless told not to (``update_stats=False``).
    """

    def __init__(self, module, env_to_module, module_to_env, explore: bool = False):
        self.module, self.env_to_module, self.module_to_env = module, env_to_module, module_to_env
        self.explore = explore

    def reset(self) -> None:
        pass

    def __call__(self, obs, env=None):
        episode = SingleAgentEpisode()
        episode.add_env_reset(observation=np.asarray(obs, dtype=np.float32))
        to_env = act(self.module, self.env_to_module, self.module_to_env, [episode], self.explore)
        actions = to_env.get(Columns.ACTIONS_FOR_ENV, to_env[Columns.ACTIONS])
        return np.asarray(actions[0]).astype(np.int64)
