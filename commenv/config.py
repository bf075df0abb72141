"""Configuration of the scheduling problem: every key once, with its unit, default and allowed values.

``SchedulerConfig`` is the one definition of the keys. Each field carries its unit, meaning and
the rule its value must follow; ``make_config`` validates a user's ``env_config`` with those
rules when the environment is built, so a typo or a bad value fails loudly instead of being
ignored. The Arguments table of ``RadioSchedulingEnv``'s docstring lists the same keys (a test
keeps the two in step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

TTI_S = 1e-3  # one transmission time interval (LTE/NR numerology 0): 1 ms


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


# Rules a value must follow: (test, what the error message says is allowed).
POSITIVE_INT = (_is_positive_int, "must be a positive integer")
NON_NEGATIVE_INT = (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, "must be an integer >= 0")
POSITIVE = (lambda v: _is_number(v) and v > 0, "must be a finite number > 0")
DECIBELS = (_is_number, "must be a finite number (dB)")
NON_NEGATIVE = (lambda v: _is_number(v) and v >= 0, "must be a finite number >= 0")
CORRELATION = (lambda v: _is_number(v) and 0 <= v < 1, "must lie in [0, 1)")
SMOOTHING = (lambda v: _is_number(v) and 0 < v <= 1, "must lie in (0, 1]")


def _key(default, unit: str, meaning: str, rule):
    return field(default=default, metadata={"unit": unit, "meaning": meaning, "rule": rule})


@dataclass(frozen=True)
class SchedulerConfig:
    """The knobs of the radio cell; ``RadioSchedulingEnv``'s docstring explains the system model."""

    n_ues: int = _key(4, "users", "users attached to the base station", POSITIVE_INT)
    n_rbgs: int = _key(6, "RBGs", "resource-block groups scheduled every TTI", POSITIVE_INT)
    rbg_bandwidth_khz: float = _key(360.0, "kHz", "bandwidth of one RBG (2 PRBs of 180 kHz)", POSITIVE)
    snr_db_low: float = _key(0.0, "dB", "mean SNR of the farthest possible user", DECIBELS)
    snr_db_high: float = _key(20.0, "dB", "mean SNR of the closest possible user", DECIBELS)
    fading_correlation: float = _key(0.9, "-", "AR(1) coefficient of the fading from one TTI to the next",
                                     CORRELATION)
    arrival_rate_mbps: float = _key(1.5, "Mbit/s", "mean offered load per user", POSITIVE)
    packet_size_bits: int = _key(12_000, "bits", "size of one packet (an IP packet of 1500 bytes)", POSITIVE_INT)
    buffer_size_bits: int = _key(60_000, "bits", "buffer per user; arriving packets that do not fit are dropped",
                                 POSITIVE_INT)
    drop_penalty: float = _key(1.0, "-", "cost of one dropped bit, in units of one delivered bit", NON_NEGATIVE)
    throughput_ema: float = _key(0.05, "-", "smoothing factor of the recent-throughput feature", SMOOTHING)
    delay_critical_ues: int = _key(0, "users", "users 0..k-1 carry delay-critical traffic whose packets expire "
                                   "(0: every user is best effort)", NON_NEGATIVE_INT)
    deadline_ttis: int = _key(10, "TTIs", "how long a delay-critical packet may wait; one still queued then is "
                              "discarded and counts as dropped", POSITIVE_INT)

    @property
    def mean_arrival_bits_per_tti(self) -> float:
        return self.arrival_rate_mbps * 1e6 * TTI_S


KEYS = tuple(f.name for f in fields(SchedulerConfig))


def _require(ok: bool, key: str, value, allowed: str) -> None:
    if not ok:
        raise ValueError(f"env config '{key}'={value!r} is invalid: {allowed}")


def make_config(config: dict | None) -> SchedulerConfig:
    """Validate a user's ``env_config`` dict and fill in the defaults."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise TypeError(f"env config must be a dict or None, got {type(config).__name__}: {config!r}")
    unknown = sorted(set(config) - set(KEYS), key=str)
    if unknown:
        raise ValueError(f"unknown env config key(s) {unknown}; allowed keys: {list(KEYS)}")
    for key_field in fields(SchedulerConfig):
        if key_field.name in config:
            test, allowed = key_field.metadata["rule"]
            _require(test(config[key_field.name]), key_field.name, config[key_field.name], allowed)
    cfg = SchedulerConfig(**config)
    _require(cfg.snr_db_low <= cfg.snr_db_high, "snr_db_low", cfg.snr_db_low,
             f"must not exceed snr_db_high={cfg.snr_db_high}")
    _require(cfg.buffer_size_bits >= cfg.packet_size_bits, "buffer_size_bits", cfg.buffer_size_bits,
             f"must hold at least one packet of packet_size_bits={cfg.packet_size_bits}")
    _require(cfg.delay_critical_ues <= cfg.n_ues, "delay_critical_ues", cfg.delay_critical_ues,
             f"must not exceed n_ues={cfg.n_ues}")
    return cfg
