"""``PairScorerModule``: a PPO RLModule shaped like the scheduling problem; two children for deadlines.

PPO's default module flattens the observation into one MLP that must learn, separately for every
RBG, which of the ``n_ues * n_rbgs`` inputs matter to it. This module instead builds a few
features for each (user, RBG) pair and scores every pair with *one* small network shared by all
pairs; RBG ``r``'s logits are the scores of the pairs ``(u, r)``. The value head pools the same
pair features. Both heads therefore have the same parameter count for 4 users or 40, and what is
learned about one RBG is learned for all of them.

The module implements RLlib's ``InferenceOnlyAPI``: the copy an EnvRunner builds
(``inference_only=True``) drops the value head (``vf_encoder`` and ``vf``), which acting never uses,
and a Learner's ``get_state(inference_only=True)`` leaves those weights out of every weight sync.

Hidden sizes and activation come from the usual ``model_config`` keys ``fcnet_hiddens`` and
``fcnet_activation``, so ``DefaultModelConfig`` works with this module too.
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn as nn
from ray.rllib.core.columns import Columns
from ray.rllib.core.distribution.torch.torch_distribution import TorchMultiCategorical
from ray.rllib.core.rl_module.apis import InferenceOnlyAPI, ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from ray.rllib.utils.annotations import override

PAIR_FEATURES = ("cqi", "buffer", "throughput", "cqi_minus_best_user", "cqi_minus_user_mean")
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU, "swish": nn.SiLU, "elu": nn.ELU}


def mlp(sizes: list[int], activation: str) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none after the last)."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class PairScorerModule(TorchRLModule, ValueFunctionAPI, InferenceOnlyAPI):
    """Changes from ``TorchRLModule``: per-(user, RBG) features, one shared scorer, a pooled value head.

    ``setup`` always builds both heads, so the random initial weights of ``pi`` (and everything drawn
    from torch's generator afterwards) are the same for the full and the inference-only copy; RLlib's
    ``TorchRLModule.__init__`` then deletes ``get_non_inference_attributes()`` from the inference-only one.
    """

    @override(TorchRLModule)
    def setup(self):
        nvec = self.action_space.nvec
        self.n_ues, self.n_rbgs = int(nvec[0]), len(nvec)
        expected = self.n_ues * self.n_rbgs + 2 * self.n_ues
        if self.observation_space.shape != (expected,):
            raise ValueError(f"observation shape {self.observation_space.shape} does not fit comm_env with "
                             f"{self.n_ues} users and {self.n_rbgs} RBGs (expected ({expected},))")
        self.build_heads(len(PAIR_FEATURES))

    def plain_model_config(self) -> dict:
        """``model_config`` as a plain dict: RLlib hands over a dict or a ``DefaultModelConfig``."""
        config = self.model_config
        return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config or {})

    def network_shape(self) -> tuple[list[int], str]:
        """``fcnet_hiddens`` and ``fcnet_activation`` from ``model_config`` (defaults [32, 32], tanh), checked."""
        config = self.plain_model_config()
        hiddens = list(config.get("fcnet_hiddens") or [32, 32])
        activation = config.get("fcnet_activation") or "tanh"
        if activation not in ACTIVATIONS:
            raise ValueError(f"fcnet_activation={activation!r} is not supported; use one of {sorted(ACTIVATIONS)}")
        return hiddens, activation

    def build_heads(self, n_features: int) -> None:
        """The shared pair scorer ``pi``, the pooled value head and the action distribution class."""
        hiddens, activation = self.network_shape()
        self.pi = mlp([n_features, *hiddens, 1], activation)
        self.vf_encoder = mlp([n_features, *hiddens], activation)
        self.vf = nn.Sequential(ACTIVATIONS[activation](), nn.Linear(2 * hiddens[-1], 1))
        # MultiDiscrete actions: one categorical over users per RBG.
        self.action_dist_cls = TorchMultiCategorical.get_partial_dist_cls(
            space=self.action_space, input_lens=[self.n_ues] * self.n_rbgs)

    def pair_features(self, obs: torch.Tensor) -> torch.Tensor:
        """(B, obs_dim) -> (B, n_ues, n_rbgs, 5): the ``PAIR_FEATURES`` of every (user, RBG) pair."""
        u, r = self.n_ues, self.n_rbgs
        cqi = obs[:, : u * r].reshape(-1, u, r)
        buffer = obs[:, u * r : u * r + u, None].expand(-1, u, r)
        throughput = obs[:, u * r + u :, None].expand(-1, u, r)
        minus_best = cqi - cqi.max(dim=1, keepdim=True).values
        minus_mean = cqi - cqi.mean(dim=2, keepdim=True)
        return torch.stack([cqi, buffer, throughput, minus_best, minus_mean], dim=-1)

    @override(TorchRLModule)
    def _forward(self, batch, **kwargs):
        scores = self.pi(self.pair_features(batch[Columns.OBS])).squeeze(-1)  # (B, users, RBGs)
        # TorchMultiCategorical expects RBG-major logits: [RBG 0: users 0..U-1, RBG 1: ...].
        logits = scores.transpose(1, 2).reshape(scores.shape[0], -1)
        return {Columns.ACTION_DIST_INPUTS: logits}

    @override(InferenceOnlyAPI)
    def get_non_inference_attributes(self) -> list[str]:
        """The value head: the EnvRunner's copy (``inference_only=True``) is built without it."""
        return ["vf_encoder", "vf"]

    @override(ValueFunctionAPI)
    def compute_values(self, batch, embeddings=None):
        if self.inference_only:
            raise RuntimeError("this is an inference-only copy of PairScorerModule (an EnvRunner's): it has no "
                               "value head; compute values with the Learner's module")
        pairs = self.vf_encoder(self.pair_features(batch[Columns.OBS])).flatten(1, 2)  # (B, pairs, hidden)
        pooled = torch.cat([pairs.mean(dim=1), pairs.max(dim=1).values], dim=-1)
        return self.vf(pooled).squeeze(-1)


DEADLINE_FEATURES = ("deadline_pressure", "delay_critical", "rbg_rank_for_user")


class DeadlinePairScorerModule(PairScorerModule):
    """Changes from ``PairScorerModule``: for a cell with delay-critical users, three more pair features.

    That cell's observation carries two more parts (``RadioSchedulingEnv.split_delay_features``),
    and each pair gets ``DEADLINE_FEATURES`` besides ``PAIR_FEATURES``: the user's deadline pressure
    and class, and the RBG's rank among the user's own RBGs. Every RBG's user is drawn on its own,
    so the rank is what lets the one shared scorer learn "a user with one packet left takes only
    its best RBG" instead of handing all its good RBGs to a buffer one of them empties.
    """

    feature_names = PAIR_FEATURES + DEADLINE_FEATURES

    @override(PairScorerModule)
    def setup(self):
        """The parent's networks for ``len(feature_names)`` features; the parent's setup checks the plain layout."""
        nvec = self.action_space.nvec
        self.n_ues, self.n_rbgs = int(nvec[0]), len(nvec)
        expected = self.n_ues * self.n_rbgs + 4 * self.n_ues
        if self.observation_space.shape != (expected,):
            raise ValueError(f"observation shape {self.observation_space.shape} does not fit comm_env with "
                             f"{self.n_ues} users, {self.n_rbgs} RBGs and delay-critical users (expected "
                             f"({expected},)); for a cell without delay-critical users use PairScorerModule")
        self.build_heads(len(self.feature_names))

    @override(PairScorerModule)
    def pair_features(self, obs: torch.Tensor) -> torch.Tensor:
        u, r = self.n_ues, self.n_rbgs
        plain = super().pair_features(obs[:, : u * r + 2 * u])
        cqi = obs[:, : u * r].reshape(-1, u, r)
        pressure = obs[:, u * r + 2 * u : u * r + 3 * u, None].expand(-1, u, r)
        critical = obs[:, u * r + 3 * u :, None].expand(-1, u, r)
        # Rank 0 for the user's best RBG: how many of its other RBGs are strictly better, over n_rbgs.
        rank = (cqi[:, :, None, :] > cqi[:, :, :, None]).sum(dim=-1).to(cqi.dtype) / r
        return torch.cat([plain, torch.stack([pressure, critical, rank], dim=-1)], dim=-1)


GRANT_FEATURES = ("usable_fraction", "granted_so_far")


class SequentialPairScorerModule(DeadlinePairScorerModule):
    """Changes from ``DeadlinePairScorerModule``: RBGs given out in order, each seeing what earlier ones granted.

    The parent draws every RBG's user independently, so within one TTI it cannot know that RBG 0
    already covered a user's last bits when it picks RBG 5's user: a share of the RBGs goes to users
    with nothing left to send. Here the shared scorer scores RBG ``r``'s pairs with two more features
    (``GRANT_FEATURES``): the fraction of the RBG the user could still fill with what RBGs ``0..r-1``
    left in its buffer, and the bits already granted to it this TTI. The action is drawn RBG by RBG
    (an autoregressive policy), like the buffer-aware rules of ``commenv.baselines``.

    RLlib's action distribution cannot draw in order, so the module draws the actions itself:
    ``forward_exploration`` returns ``Columns.ACTIONS`` and ``Columns.ACTION_LOGP`` (RLlib's
    ``GetActions`` connector then keeps them), and ``forward_train`` recomputes every RBG's logits
    given the RBGs before it in the stored action. The logits it returns are therefore the
    conditional ones, and the ``TorchMultiCategorical`` built from them gives exactly the
    autoregressive log-probability of the stored action, which is what PPO's loss needs.
    ``forward_inference`` returns the logits along the greedy path, so taking each RBG's most likely
    user, as ``module_policy`` does, is the greedy decoding.

    Bits per RBG come from the CQI in the observation; ``model_config`` may carry the cell's
    ``buffer_size_bits`` and ``rbg_bandwidth_khz`` (defaults: ``SchedulerConfig``'s), which the
    observation does not.
    """

    feature_names = DeadlinePairScorerModule.feature_names + GRANT_FEATURES

    @override(DeadlinePairScorerModule)
    def setup(self):
        """The parent's networks; the value head reads the pair features without the grant features."""
        from commenv.channel import CQI_EFFICIENCY
        from commenv.config import SchedulerConfig, TTI_S, make_config

        super().setup()
        config = self.plain_model_config()
        defaults = SchedulerConfig()
        cell = make_config({"buffer_size_bits": config.get("buffer_size_bits", defaults.buffer_size_bits),
                            "rbg_bandwidth_khz": config.get("rbg_bandwidth_khz", defaults.rbg_bandwidth_khz)})
        self.buffer_size_bits = float(cell.buffer_size_bits)
        hiddens, activation = self.network_shape()
        self.vf_encoder = mlp([len(DeadlinePairScorerModule.feature_names), *hiddens], activation)
        bits = torch.tensor(CQI_EFFICIENCY, dtype=torch.float32) * cell.rbg_bandwidth_khz * 1e3 * TTI_S
        self.register_buffer("bits_per_cqi", bits, persistent=False)

    def bits_per_rbg(self, obs: torch.Tensor) -> torch.Tensor:
        """(B, obs_dim) -> (B, n_ues, n_rbgs): the bits each user would get from each RBG."""
        from commenv.channel import MAX_CQI

        u, r = self.n_ues, self.n_rbgs
        cqi = torch.round(obs[:, : u * r].reshape(-1, u, r) * MAX_CQI).long().clamp(0, MAX_CQI)
        return self.bits_per_cqi[cqi]

    def grant_features(self, buffer_bits, granted, bits_on_rbg) -> torch.Tensor:
        """(B, n_ues) each -> (B, n_ues, 2): the ``GRANT_FEATURES`` of one RBG's pairs."""
        left = (buffer_bits - granted).clamp(min=0.0)
        usable = torch.clamp(left / bits_on_rbg.clamp(min=1.0), max=1.0)
        return torch.stack([usable, granted / self.buffer_size_bits], dim=-1)

    def decode(self, obs: torch.Tensor, actions: torch.Tensor | None = None, greedy: bool = False):
        """RBG by RBG: (conditional logits (B, n_rbgs * n_ues), actions (B, n_rbgs), their log-probability (B,)).

        ``actions`` given: the logits are computed along them (teacher forcing); otherwise each RBG's
        user is drawn (``greedy=False``) or the most likely one is taken (``greedy=True``).
        """
        u = self.n_ues
        pairs = self.pair_features(obs)
        bits = self.bits_per_rbg(obs)
        buffer_bits = obs[:, self.n_ues * self.n_rbgs : self.n_ues * self.n_rbgs + u] * self.buffer_size_bits
        granted = torch.zeros_like(buffer_bits)
        logits, chosen = [], []
        logp = torch.zeros(obs.shape[0], dtype=obs.dtype, device=obs.device)
        for rbg in range(self.n_rbgs):
            grant = self.grant_features(buffer_bits, granted, bits[:, :, rbg])
            column = self.pi(torch.cat([pairs[:, :, rbg], grant], dim=-1)).squeeze(-1)  # (B, users)
            dist = torch.distributions.Categorical(logits=column)
            if actions is not None:
                user = actions[:, rbg].long()
            else:
                user = column.argmax(dim=-1) if greedy else dist.sample()
            logp = logp + dist.log_prob(user)
            granted = granted + nn.functional.one_hot(user, u).to(obs.dtype) * bits[:, :, rbg]
            logits.append(column)
            chosen.append(user)
        return torch.cat(logits, dim=-1), torch.stack(chosen, dim=-1), logp

    @override(TorchRLModule)
    def _forward_exploration(self, batch, **kwargs):
        logits, actions, logp = self.decode(batch[Columns.OBS])
        return {Columns.ACTION_DIST_INPUTS: logits, Columns.ACTIONS: actions, Columns.ACTION_LOGP: logp}

    @override(TorchRLModule)
    def _forward_inference(self, batch, **kwargs):
        logits, _, _ = self.decode(batch[Columns.OBS], greedy=True)
        return {Columns.ACTION_DIST_INPUTS: logits}

    @override(TorchRLModule)
    def _forward_train(self, batch, **kwargs):
        logits, _, _ = self.decode(batch[Columns.OBS], actions=batch[Columns.ACTIONS])
        return {Columns.ACTION_DIST_INPUTS: logits}

    @override(PairScorerModule)
    def _forward(self, batch, **kwargs):
        return self._forward_inference(batch)
