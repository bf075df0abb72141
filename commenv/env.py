"""``RadioSchedulingEnv``: a base station shares resource-block groups among its users.

The class docstring (``help(commenv.RadioSchedulingEnv)``) describes the task in Gymnasium's
shape: spaces, reward, start, episode end, arguments and version history.
"""
from __future__ import annotations

import gymnasium as gym
import numpy as np

from commenv.channel import CQI_EFFICIENCY, FadingChannel
from commenv.config import TTI_S, make_config
from commenv.render import render_frame
from commenv.traffic import PacketQueues


class RadioSchedulingEnv(gym.Env):
    """A downlink scheduler: every TTI, give each resource-block group to one user.

    ## Description

    Every transmission time interval (TTI, 1 ms) a base station decides which of its ``n_ues``
    users gets each of its ``n_rbgs`` resource-block groups (RBGs). A user can use an RBG only as
    well as its channel on that RBG allows (bits = spectral efficiency x bandwidth x 1 ms), and
    only if it has data waiting. Data arrives as Poisson packet traffic into finite buffers; a
    packet that does not fit is dropped. A good scheduler keeps every buffer from overflowing
    while spending RBGs where the channel is good: the classic throughput-versus-fairness
    trade-off. The channel (``commenv.channel``) and the traffic (``commenv.traffic``) never
    depend on the actions, so two schedulers reset with the same seed face the same episode.

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

    A cell with delay-critical users (``delay_critical_ues > 0``) appends two parts, so the shape
    is ``(U*R + 4U,)`` (``split_delay_features`` cuts them out):

    | slice | name | meaning | range |
    |---|---|---|---|
    | ``[U*R+2U, U*R+3U)`` | deadline pressure | head-of-line delay / ``deadline_ttis``; 0 for best effort or an empty buffer | [0, 1] |
    | ``[U*R+3U, U*R+4U)`` | delay-critical | 1 for users ``0..delay_critical_ues-1``, else 0 | {0, 1} |

    ## Rewards

    ``(delivered bits - drop_penalty * dropped bits) / mean offered bits per TTI`` of the cell.
    Delivering data is the job; dropping a packet is worse than delaying it, because the sender
    must notice the loss and send it again, so drops cost ``drop_penalty`` per bit (1 by
    default). Dividing by the mean offered load makes a step's reward about 1 when the cell keeps
    up with its traffic, whatever the config: PPO then needs no reward rescaling.

    Delay-critical users (``delay_critical_ues > 0``; think of 3GPP's low-latency classes, whose
    packet delay budget is about 10 ms) add a deadline: a packet still queued after
    ``deadline_ttis`` chances to be sent is discarded, late data being worthless, and costs
    ``drop_penalty`` per bit like a drop. Best-effort users have no deadline, only the buffer limit.

    ## Starting State

    Each user's mean SNR is drawn uniformly in [``snr_db_low``, ``snr_db_high``] dB (users at
    different distances), fading starts from its stationary distribution, and each buffer holds
    between zero and half a buffer of whole packets. ``reset(seed=s)`` spawns two independent
    random streams from ``np_random``, one for the channel and one for the traffic, so the same
    seed gives the same arrivals whatever the cell's ``n_rbgs`` or fading.

    ## Episode End

    No state is terminal: a cell never finishes, so ``terminated`` is always False. Episodes are
    cut by time instead: ``truncated`` comes from the ``TimeLimit`` wrapper that
    ``gymnasium.make("commenv/RadioScheduling-v1")`` adds (200 TTIs by default), and that
    ``commenv.make_env`` adds for RLlib.

    ## Arguments

    ``config`` (dict, optional) with any of these keys (defined once, in
    ``commenv.config.SchedulerConfig``; a bad key or value raises ``ValueError`` naming it):

    | key | unit | default | meaning |
    |---|---|---|---|
    | n_ues | users | 4 | users attached to the base station |
    | n_rbgs | RBGs | 6 | resource-block groups scheduled every TTI |
    | rbg_bandwidth_khz | kHz | 360.0 | bandwidth of one RBG (2 PRBs of 180 kHz) |
    | snr_db_low | dB | 0.0 | mean SNR of the farthest possible user |
    | snr_db_high | dB | 20.0 | mean SNR of the closest possible user |
    | fading_correlation | - | 0.9 | AR(1) coefficient of the fading from one TTI to the next |
    | arrival_rate_mbps | Mbit/s | 1.5 | mean offered load per user |
    | packet_size_bits | bits | 12000 | size of one packet (an IP packet of 1500 bytes) |
    | buffer_size_bits | bits | 60000 | buffer per user; arriving packets that do not fit are dropped |
    | drop_penalty | - | 1.0 | cost of one dropped bit, in units of one delivered bit |
    | throughput_ema | - | 0.05 | smoothing factor of the recent-throughput feature |
    | delay_critical_ues | users | 0 | users 0..k-1 carry delay-critical traffic whose packets expire (0: every user is best effort) |
    | deadline_ttis | TTIs | 10 | how long a delay-critical packet may wait; one still queued then is discarded and counts as dropped |

    ``render_mode``: ``None`` or ``"rgb_array"`` (the allocation of the last TTIs and the
    buffers; needs matplotlib, ``pip install 'commenv[render]'``).

    ## Info

    ``delivered_bits``, ``dropped_bits`` (arrivals that did not fit), ``expired_bits`` (queued
    delay-critical bits past their deadline; always 0 without delay-critical users),
    ``arrived_bits``, ``buffer_bits`` (per user, this TTI) and ``wasted_bits`` (capacity given to
    users that had less data than it could carry).

    ## Example

    >>> import gymnasium as gym, numpy as np, commenv
    >>> env = gym.make("commenv/RadioScheduling-v1", config={"n_ues": 3, "n_rbgs": 4})
    >>> obs, info = env.reset(seed=42)
    >>> obs.shape, env.action_space
    ((18,), MultiDiscrete([3 3 3 3]))
    >>> obs, reward, terminated, truncated, info = env.step(np.array([0, 1, 2, 0]))
    >>> round(reward, 3), info["delivered_bits"].tolist(), terminated, truncated
    (0.409, [0.0, 1841.472, 0.0], False, False)

    ## Version History

    - v1, later: the keys ``delay_critical_ues`` and ``deadline_ttis`` (delay-critical traffic) and
      the info entry ``expired_bits``; with ``delay_critical_ues=0``, the default, every episode is
      the same as before.
    - v1: channel and traffic draw from two independent streams spawned from ``np_random``
      (before, one shared stream: the arrivals of a seed changed with ``n_rbgs``). The same seed
      gives other episodes than in v0.
    - v0: initial release.
    """

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
        self.critical = np.arange(c.n_ues) < c.delay_critical_ues  # which users have a deadline
        self.has_deadlines = bool(self.critical.any())
        if self.has_deadlines:
            high = np.concatenate([high, np.ones(2 * c.n_ues, dtype=np.float32)])
            self._critical_feature = self.critical.astype(np.float64)
            self._pressure_scale = np.where(self.critical, 1.0 / c.deadline_ttis, 0.0)
        self.observation_space = gym.spaces.Box(0.0, high, dtype=np.float32)
        self._no_bits = np.zeros(c.n_ues)
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

    @property
    def head_of_line_delay(self) -> np.ndarray:
        """TTIs each user's oldest queued packet has waited, shape (n_ues,); 0 for an empty buffer.

        Not part of the observation: delay-aware baselines (M-LWDF, EXP/PF) read it here.
        """
        return self.queues.head_of_line_delay

    def split_observation(self, obs):
        """Cut an observation (or a batch, numpy or torch) into (cqi (.., U, R), buffer (.., U), throughput (.., U))."""
        u, r = self.n_ues, self.n_rbgs
        cqi = obs[..., : u * r].reshape(*obs.shape[:-1], u, r)
        return cqi, obs[..., u * r : u * r + u], obs[..., u * r + u : u * r + 2 * u]

    def split_delay_features(self, obs):
        """(deadline pressure (.., U), delay-critical flag (.., U)) of a cell with delay-critical users."""
        if not self.has_deadlines:
            raise ValueError("this cell has no delay-critical users (delay_critical_ues=0): its observation "
                             "has no deadline features")
        u, r = self.n_ues, self.n_rbgs
        start = u * r + 2 * u
        return obs[..., start : start + u], obs[..., start + u : start + 2 * u]

    # --- gymnasium API ---
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        # Two streams, so that what the channel draws (which grows with n_rbgs) never shifts the traffic.
        channel_rng, traffic_rng = self.np_random.spawn(2)
        self.channel.reset(channel_rng)
        self.queues.reset(traffic_rng)
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
        if self.has_deadlines:
            expired = self.queues.expire(self.config.deadline_ttis, self.critical)
            expired_total = sum(expired.tolist())
        else:
            expired, expired_total = self._no_bits.copy(), 0.0
        arrived, dropped = self.queues.arrive()
        self.channel.step()
        self.avg_throughput *= self._ema_keep
        self.avg_throughput += self._ema_gain * delivered
        self._history[self.t % self.HISTORY] = action
        self.t += 1
        delivered_total, dropped_total = sum(delivered.tolist()), sum(dropped.tolist())
        lost_total = dropped_total + expired_total
        reward = (delivered_total - self.config.drop_penalty * lost_total) / self.offered_bits_per_tti
        info = {"delivered_bits": delivered, "dropped_bits": dropped, "expired_bits": expired, "arrived_bits": arrived,
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
        if self.has_deadlines:
            parts += (self.queues.head_of_line_delay * self._pressure_scale, self._critical_feature)
        return np.concatenate(parts, dtype=np.float32)

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return render_frame(self)
