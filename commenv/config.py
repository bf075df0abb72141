"""Configuration of the scheduling problem: defaults, units and validation.

Every key has a unit and a default. Validation happens once, when the environment is
built, so a typo in ``env_config`` fails loudly instead of being ignored.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

TTI_S = 1e-3  # one transmission time interval (LTE/NR numerology 0): 1 ms


@dataclass(frozen=True)
class SchedulerConfig:
    """The knobs of the radio cell; see ``RadioSchedulingEnv`` for the system model."""

    n_ues: int = 4                       # users attached to the base station
    n_rbgs: int = 6                      # resource-block groups scheduled every TTI
    rbg_bandwidth_khz: float = 360.0     # bandwidth of one RBG (2 PRBs of 180 kHz)
    snr_db_low: float = 0.0              # mean SNR of the farthest possible user, dB
    snr_db_high: float = 20.0            # mean SNR of the closest possible user, dB
    fading_correlation: float = 0.9      # AR(1) coefficient of the fading from one TTI to the next
    arrival_rate_mbps: float = 1.5       # mean offered load per user, Mbit/s
    packet_size_bits: int = 12_000       # one IP packet of 1500 bytes
    buffer_size_bits: int = 60_000       # per-user buffer; arriving packets that do not fit are dropped
    drop_penalty: float = 1.0            # cost of one dropped bit, in units of one delivered bit
    throughput_ema: float = 0.05         # smoothing factor of the per-user average throughput

    @property
    def mean_arrival_bits_per_tti(self) -> float:
        return self.arrival_rate_mbps * 1e6 * TTI_S


KEYS = tuple(f.name for f in fields(SchedulerConfig))


def _require(ok: bool, key: str, value, allowed: str) -> None:
    if not ok:
        raise ValueError(f"env config '{key}'={value!r} is invalid: {allowed}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def make_config(config: dict | None) -> SchedulerConfig:
    """Validate a user's ``env_config`` dict and fill in the defaults."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"env config must be a dict or None, got {type(config).__name__}: {config!r}")
    config = dict(config)
    unknown = sorted(set(config) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown env config key(s) {unknown}; allowed keys: {list(KEYS)}")
    for key in ("n_ues", "n_rbgs", "packet_size_bits", "buffer_size_bits"):
        if key in config:
            value = config[key]
            _require(isinstance(value, int) and not isinstance(value, bool) and value > 0,
                     key, value, "must be a positive integer")
    for key in ("rbg_bandwidth_khz", "arrival_rate_mbps"):
        if key in config:
            value = config[key]
            _require(_is_number(value) and value > 0, key, value, "must be a finite number > 0")
    for key in ("snr_db_low", "snr_db_high"):
        if key in config:
            _require(_is_number(config[key]), key, config[key], "must be a finite number (dB)")
    if "fading_correlation" in config:
        value = config["fading_correlation"]
        _require(_is_number(value) and 0 <= value < 1, "fading_correlation", value, "must lie in [0, 1)")
    if "throughput_ema" in config:
        value = config["throughput_ema"]
        _require(_is_number(value) and 0 < value <= 1, "throughput_ema", value, "must lie in (0, 1]")
    if "drop_penalty" in config:
        value = config["drop_penalty"]
        _require(_is_number(value) and value >= 0, "drop_penalty", value, "must be a finite number >= 0")
    cfg = SchedulerConfig(**config)
    _require(cfg.snr_db_low <= cfg.snr_db_high, "snr_db_low", cfg.snr_db_low,
             f"must not exceed snr_db_high={cfg.snr_db_high}")
    _require(cfg.buffer_size_bits >= cfg.packet_size_bits, "buffer_size_bits", cfg.buffer_size_bits,
             f"must hold at least one packet of packet_size_bits={cfg.packet_size_bits}")
    return cfg
