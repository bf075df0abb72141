"""The radio channel: time-correlated Rayleigh fading turned into bits per RBG.

Each user has a mean SNR (its distance from the base station), drawn once per episode.
Each (user, RBG) pair fades independently with a Gauss-Markov (AR(1)) process, so the
channel a scheduler sees now is a good guess of the next TTI's channel, but not of the
one 50 TTIs away. The SNR is mapped to the 4-bit CQI table of 3GPP TS 36.213
(Table 7.2.3-1), whose spectral efficiency caps out at 5.55 bit/s/Hz.
"""
from __future__ import annotations

import numpy as np

# Spectral efficiency (bit/s/Hz) of CQI 1..15, 3GPP TS 36.213 Table 7.2.3-1. CQI 0 = out of range.
CQI_EFFICIENCY = np.array([0.0, 0.1523, 0.2344, 0.3770, 0.6016, 0.8770, 1.1758, 1.4766,
                           1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547])
MAX_CQI = len(CQI_EFFICIENCY) - 1
# CQI k is usable once Shannon's log2(1 + SNR) reaches its efficiency: SNR >= 2**eff - 1.
CQI_SNR_THRESHOLDS = 2.0 ** CQI_EFFICIENCY[1:] - 1.0


def cqi_from_snr(snr_linear: np.ndarray) -> np.ndarray:
    """Highest CQI whose efficiency the SNR supports (0..15), elementwise."""
    return np.searchsorted(CQI_SNR_THRESHOLDS, snr_linear, side="right")


class FadingChannel:
    """AR(1) complex fading per (user, RBG), computed a block of TTIs at a time.

    The fading never depends on the scheduler's actions, so it is generated ahead in blocks
    of ``BLOCK`` TTIs (vectorised over time), and two schedulers that reset with the same
    seed see exactly the same channel (common random numbers).
    """

    BLOCK = 256  # TTIs of channel generated per call to the random generator

    def __init__(self, n_ues: int, n_rbgs: int, correlation: float, snr_db_low: float, snr_db_high: float,
                 bits_per_cqi: np.ndarray):
        self.shape = (n_ues, n_rbgs)
        self.rho = correlation
        self.innovation_scale = np.sqrt((1.0 - correlation ** 2) / 2.0)
        self.snr_db_low, self.snr_db_high = snr_db_low, snr_db_high
        self.bits_per_cqi = bits_per_cqi
        # rho ** (t + 1) for t in a block: how much of the block's starting gain survives at TTI t.
        self._decay = (correlation ** np.arange(1, self.BLOCK + 1))[:, None, None]

    def reset(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.mean_snr_db = rng.uniform(self.snr_db_low, self.snr_db_high, size=self.shape[0])
        self._mean_snr = 10.0 ** (self.mean_snr_db / 10.0)
        # Stationary start: h ~ CN(0, 1), so E|h|^2 = 1 at every TTI.
        start = (rng.standard_normal(self.shape) + 1j * rng.standard_normal(self.shape)) / np.sqrt(2.0)
        self._use_block(start[None])

    def _use_block(self, gains: np.ndarray) -> None:
        """Make ``gains`` (T, n_ues, n_rbgs) the upcoming TTIs and start at the first one."""
        power = gains.real ** 2 + gains.imag ** 2
        self._cqi_block = cqi_from_snr(self._mean_snr[:, None] * power)
        self._bits_block = self.bits_per_cqi[self._cqi_block]
        self._cqi_features_block = (self._cqi_block / MAX_CQI).astype(np.float32).reshape(len(gains), -1)
        self._gain_last = gains[-1]
        self._index = 0
        self._set_current()

    def _next_block(self) -> None:
        draws = self.rng.standard_normal((2, self.BLOCK) + self.shape) * self.innovation_scale
        gains = draws[0] + 1j * draws[1]
        # Solve h[t] = rho * h[t-1] + w[t] for the whole block with a log-depth prefix scan.
        shift = 1
        while shift < self.BLOCK:
            gains[shift:] += (self.rho ** shift) * gains[:-shift].copy()
            shift *= 2
        gains += self._decay * self._gain_last
        self._use_block(gains)

    def _set_current(self) -> None:
        self.cqi = self._cqi_block[self._index]    # (n_ues, n_rbgs) CQI now
        self.bits = self._bits_block[self._index]  # (n_ues, n_rbgs) bits one RBG carries now
        self.cqi_features = self._cqi_features_block[self._index]  # CQI / 15, flattened, float32

    def step(self) -> None:
        """Advance the fading by one TTI."""
        self._index += 1
        if self._index == len(self._cqi_block):
            self._next_block()
        else:
            self._set_current()
