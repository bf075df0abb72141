"""Traffic: Poisson packet arrivals into finite per-user buffers with tail drop.

Packets of ``packet_size_bits`` arrive at each user as a Poisson process. An arriving packet
that does not fit into the user's buffer is dropped whole (tail drop), as in a real RLC queue.
"""
from __future__ import annotations

import numpy as np


class PacketQueues:
    """Per-user buffers in bits; arrivals are drawn in blocks so the RNG is called rarely."""

    BLOCK = 256  # TTIs of arrivals drawn per call to the random generator

    def __init__(self, n_ues: int, mean_bits_per_tti: float, packet_size_bits: int, buffer_size_bits: int):
        self.n_ues = n_ues
        self.packets_per_tti = mean_bits_per_tti / packet_size_bits
        self.packet_size = packet_size_bits
        self.capacity = buffer_size_bits
        # Per-user copies of the constants: numpy adds two small arrays faster than an array and a scalar.
        self._capacity = np.full(n_ues, float(buffer_size_bits))
        self._packet = np.full(n_ues, float(packet_size_bits))

    def reset(self, rng: np.random.Generator) -> None:
        self.rng = rng
        # Start anywhere between empty and half full, in whole packets.
        max_start_packets = self.capacity // (2 * self.packet_size)
        self.bits = rng.integers(0, max_start_packets + 1, size=self.n_ues).astype(np.float64) * self.packet_size
        self._block_left = 0

    def serve(self, offered_bits: np.ndarray) -> np.ndarray:
        """Send up to ``offered_bits`` per user; return the bits actually delivered."""
        delivered = np.minimum(self.bits, offered_bits)
        self.bits -= delivered
        return delivered

    def arrive(self) -> tuple[np.ndarray, np.ndarray]:
        """Add one TTI of arrivals; return (arrived_bits, dropped_bits) per user."""
        if self._block_left == 0:
            packets = self.rng.poisson(self.packets_per_tti, size=(self.BLOCK, self.n_ues))
            self._arrivals = packets * float(self.packet_size)
            self._block_left = self.BLOCK
        arrived = self._arrivals[self.BLOCK - self._block_left]
        self._block_left -= 1
        # Whole packets that still fit: floor(free / packet) packets.
        free = self._capacity - self.bits
        accepted = np.minimum(arrived, free - free % self._packet)
        self.bits += accepted
        return arrived, arrived - accepted
