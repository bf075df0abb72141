"""``RadioSchedulingEnv``: a base station shares resource-block groups among its users.

## Description

Every transmission time interval (TTI, 1 ms) a base station decides which of its ``n_ues``
users gets each of its ``n_rbgs`` resource-block groups (RBGs). A user can only use an RBG
as well as its channel on that RBG allows (bits = spectral efficiency x bandwidth x 1 ms), and
only if it has data waiting. Data arrives as Poisson packet traffic into finite buffers; a
packet that does not fit is dropped. A good scheduler keeps every buffer from overflowing while
spending RBGs where the channel is good: the classic throughput-versus-fairness trade-off.

## Action Space

``MultiDiscrete([n_ues] * n_rbgs)``: entry ``k`` is the user that gets RBG ``k`` this TTI.
Every RBG goes to someone; an RBG given to a user with less data than it can carry wastes
the rest.

## Observation Space

``Box(0, high, (n_ues * n_rbgs + 2 * n_ues,), float32)``, what a real scheduler knows
(``split_observation`` cuts it into its three parts):

| slice | name | meaning | range |
|---|---|---|---|
| ``[0, U*R)`` | channel quality | CQI / 15 of user ``u`` on RBG ``r``, row ``u`` | [0, 1] |
| ``[U*R, U*R+U)`` | buffer | buffered bits / ``buffer_size_bits`` | [0, 1] |
| ``[U*R+U, U*R+2U)`` | recent throughput | EMA of delivered bits per TTI / mean offered bits per TTI | [0, peak/offered] |

## Rewards

``(delivered bits - drop_penalty * dropped bits) / mean offered bits per TTI`` of the cell.
Delivering data is the job; dropping a packet is worse than delaying it, because the
sender must notice the loss and send it again, so drops cost ``drop_penalty`` per bit
(1 by default). Dividing by the mean offered load makes a step's reward about 1 when the
cell keeps up with its traffic, whatever the config: PPO then needs no reward rescaling.

## Starting State

Each user's mean SNR is drawn uniformly in [``snr_db_low``, ``snr_db_high``] dB (users at
different distances), fading starts from its stationary distribution, and each buffer
holds between zero and half a buffer of whole packets.

## Episode End

No state is terminal: a cell never finishes, so ``terminated`` is always False. Episodes
are cut by time instead: ``truncated`` comes from the ``TimeLimit`` wrapper that
``gymnasium.make("commenv/RadioScheduling-v0")`` adds (200 TTIs by default), and that
``commenv.make_env`` adds for RLlib.

## Arguments

``config`` (dict, optional) with any of these keys (see ``commenv.config.SchedulerConfig``):

| key | unit | default | meaning |
|---|---|---|---|
| n_ues | users | 4 | users in the cell |
| n_rbgs | RBGs | 6 | resource-block groups per TTI |
| rbg_bandwidth_khz | kHz | 360 | bandwidth of one RBG |
| snr_db_low, snr_db_high | dB | 0, 20 | range of the users' mean SNR |
| fading_correlation | - | 0.9 | AR(1) coefficient of the fading per TTI |
| arrival_rate_mbps | Mbit/s | 1.5 | mean offered load per user |
| packet_size_bits | bits | 12000 | size of one packet |
| buffer_size_bits | bits | 60000 | buffer per user (tail drop beyond it) |
| drop_penalty | - | 1.0 | cost of a dropped bit relative to a delivered one |
| throughput_ema | - | 0.05 | smoothing of the recent-throughput feature |

``render_mode``: ``None`` or ``"rgb_array"`` (the allocation of the last TTIs and the buffers).

## Info

``delivered_bits``, ``dropped_bits``, ``arrived_bits``, ``buffer_bits`` (per user, this TTI) and
``wasted_bits`` (capacity given to users that had less data than it could carry).
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

from commenv.channel import CQI_EFFICIENCY, FadingChannel
from commenv.config import TTI_S, make_config
from commenv.traffic import PacketQueues


class RadioSchedulingEnv(gym.Env):
    """A downlink scheduler as a gymnasium environment; the module docstring has the details."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}
    HISTORY = 40  # TTIs of allocations kept for rendering

    def __init__(self, config: dict | None = None, render_mode: str | None = None):
        self.config = make_config(config)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r} is not supported; use None or 'rgb_array'")
        self.render_mode = render_mode
        c = self.config
        self.n_ues, self.n_rbgs = c.n_ues, c.n_rbgs
        # Bits one RBG carries in one TTI at each CQI.
        self.bits_per_cqi = CQI_EFFICIENCY * c.rbg_bandwidth_khz * 1e3 * TTI_S
        self.channel = FadingChannel(c.n_ues, c.n_rbgs, c.fading_correlation, c.snr_db_low, c.snr_db_high,
                                     self.bits_per_cqi)
        self.queues = PacketQueues(c.n_ues, c.mean_arrival_bits_per_tti, c.packet_size_bits, c.buffer_size_bits)
        self.offered_bits_per_tti = c.n_ues * c.mean_arrival_bits_per_tti
        self.action_space = gym.spaces.MultiDiscrete(np.full(c.n_rbgs, c.n_ues))
        peak_per_ue = c.n_rbgs * self.bits_per_cqi[-1] / c.mean_arrival_bits_per_tti
        n_channel = c.n_ues * c.n_rbgs
        high = np.concatenate([np.ones(n_channel + c.n_ues), np.full(c.n_ues, peak_per_ue)]).astype(np.float32)
        self.observation_space = gym.spaces.Box(0.0, high, dtype=np.float32)
        self._rbg_index = np.arange(c.n_rbgs)
        self._action_shape = (c.n_rbgs,)
        # Per-user copies of the constants: numpy combines two small arrays faster than an array and a scalar.
        self._ema_keep = np.full(c.n_ues, 1.0 - c.throughput_ema)
        self._ema_gain = np.full(c.n_ues, c.throughput_ema)
        self._buffer_scale = np.full(c.n_ues, 1.0 / c.buffer_size_bits)
        self._throughput_scale = np.full(c.n_ues, 1.0 / c.mean_arrival_bits_per_tti)
        self._ready = False

    # --- what a scheduler may read (the baselines use these, the agent sees them normalised) ---
    @property
    def bits_per_rbg(self) -> np.ndarray:
        """Bits user ``u`` would get from RBG ``r`` this TTI, shape (n_ues, n_rbgs)."""
        return self.channel.bits

    @property
    def buffer_bits(self) -> np.ndarray:
        return self.queues.bits

    def split_observation(self, obs):
        """Cut an observation (or a batch, numpy or torch) into (cqi (.., U, R), buffer (.., U), throughput (.., U))."""
        u, r = self.n_ues, self.n_rbgs
        cqi = obs[..., : u * r].reshape(*obs.shape[:-1], u, r)
        return cqi, obs[..., u * r : u * r + u], obs[..., u * r + u :]

    # --- gymnasium API ---
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.channel.reset(self.np_random)
        self.queues.reset(self.np_random)
        self.avg_throughput = np.zeros(self.n_ues)
        self.t = 0
        self._history = np.full((self.HISTORY, self.n_rbgs), -1)
        self._ready = True
        return self._observe(), {}

    def step(self, action):
        if not self._ready:
            raise RuntimeError("step() called before reset(); call env.reset(seed=...) first")
        action = self._check_action(action)
        try:
            # Capacity handed to each user: the bits of every RBG it got, summed.
            offered = np.bincount(action, weights=self.channel.bits[action, self._rbg_index], minlength=self.n_ues)
        except (IndexError, ValueError):  # an index >= n_ues, or a negative one (bincount refuses those)
            offered = None
        if offered is None or len(offered) != self.n_ues:
            raise ValueError(f"action {action.tolist()} is out of range: each entry must be a user index "
                             f"in [0, {self.n_ues - 1}]")
        delivered = self.queues.serve(offered)
        arrived, dropped = self.queues.arrive()
        self.channel.step()
        self.avg_throughput *= self._ema_keep
        self.avg_throughput += self._ema_gain * delivered
        self._history[self.t % self.HISTORY] = action
        self.t += 1
        delivered_total, dropped_total = sum(delivered.tolist()), sum(dropped.tolist())
        reward = (delivered_total - self.config.drop_penalty * dropped_total) / self.offered_bits_per_tti
        info = {"delivered_bits": delivered, "dropped_bits": dropped, "arrived_bits": arrived,
                "buffer_bits": self.queues.bits.copy(), "wasted_bits": sum(offered.tolist()) - delivered_total}
        return self._observe(), reward, False, False, info

    def _check_action(self, action) -> np.ndarray:
        """Type and shape here; the range is checked for free by ``step``'s own indexing."""
        if not (type(action) is np.ndarray and action.dtype.kind in "iu"):
            array = np.asarray(action)
            if array.dtype.kind not in "iu":
                raise TypeError(f"action {action!r} must hold integers (user indices), got dtype {array.dtype}")
            action = array
        if action.shape != self._action_shape:
            raise ValueError(f"action {action!r} has shape {action.shape}; expected ({self.n_rbgs},): "
                             f"one user index per RBG")
        return action

    def _observe(self) -> np.ndarray:
        parts = (self.channel.cqi_features, self.queues.bits * self._buffer_scale,
                 self.avg_throughput * self._throughput_scale)
        return np.concatenate(parts, dtype=np.float32)

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        from commenv.plots import render_frame

        return render_frame(self)
