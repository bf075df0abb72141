"""Traffic: Poisson packet arrivals into finite per-user buffers with tail drop.

Packets of ``packet_size_bits`` arrive at each user as a Poisson process. An arriving packet
that does not fit into the user's buffer is dropped whole (tail drop), as in a real RLC queue.
Buffers are served first in, first out, so the queue also knows how long its oldest packet has
waited (the head-of-line delay that delay-aware schedulers such as M-LWDF weigh), and it can
discard the packets of delay-critical users that waited past their deadline.
"""
from __future__ import annotations

import numpy as np


class PacketQueues:
    """Per-user buffers in bits; arrivals are drawn in blocks so the RNG is called rarely.

    For the head-of-line delay each user keeps a small ring of its queued *batches* (the packets
    accepted in one TTI): the TTI they arrived in and the user's cumulative accepted bits at their
    end. FIFO service means the bits served so far are ``accepted - buffered``, so the oldest batch
    still queued is the first one that ends beyond them. A step only notes the TTIs in which
    packets were accepted; the ring takes them in, vectorised, when a scheduler asks for the delay
    (or once per block of arrivals), so a scheduler that never asks pays almost nothing.
    """

    BLOCK = 256  # TTIs of arrivals drawn per call to the random generator
    TOLERANCE_BITS = 1e-3  # a batch with less than this left is served (float round-off of the bit counts)

    def __init__(self, n_ues: int, mean_bits_per_tti: float, packet_size_bits: int, buffer_size_bits: int):
        self.n_ues = n_ues
        self.packets_per_tti = mean_bits_per_tti / packet_size_bits
        self.packet_size = packet_size_bits
        self.capacity = buffer_size_bits
        # Per-user copies of the constants: numpy adds two small arrays faster than an array and a scalar.
        self._capacity = np.full(n_ues, float(buffer_size_bits))
        self._packet = np.full(n_ues, float(packet_size_bits))
        # Queued batches never outnumber the packets a buffer holds, plus a partly sent one.
        self._ring = buffer_size_bits // packet_size_bits + 1

    def reset(self, rng: np.random.Generator) -> None:
        self.rng = rng
        # Start anywhere between empty and half full, in whole packets.
        max_start_packets = self.capacity // (2 * self.packet_size)
        self.bits = rng.integers(0, max_start_packets + 1, size=self.n_ues).astype(np.float64) * self.packet_size
        self._block_left = 0
        self.tti = 0  # calls to arrive() so far
        # The starting packets form one batch that arrived in the TTI before the first one (TTI -1).
        self._accepted = self.bits.copy()
        self._batch_tti = np.full((self.n_ues, self._ring), -1, dtype=np.int64)
        self._batch_end = np.zeros((self.n_ues, self._ring))
        self._batch_end[:, 0] = self._accepted
        self._next_slot = np.ones(self.n_ues, dtype=np.int64)
        self._pending = []  # (tti, accepted bits per user) of the TTIs not yet in the ring

    def serve(self, offered_bits: np.ndarray) -> np.ndarray:
        """Send up to ``offered_bits`` per user; return the bits actually delivered."""
        delivered = np.minimum(self.bits, offered_bits)
        self.bits -= delivered
        return delivered

    def arrive(self) -> tuple[np.ndarray, np.ndarray]:
        """Add one TTI of arrivals; return (arrived_bits, dropped_bits) per user."""
        if self._block_left == 0:
            self._take_pending()  # keeps the list of pending TTIs short
            packets = self.rng.poisson(self.packets_per_tti, size=(self.BLOCK, self.n_ues))
            self._arrivals = packets * float(self.packet_size)
            self._any_arrival = packets.any(axis=1).tolist()
            self._block_left = self.BLOCK
        index = self.BLOCK - self._block_left
        arrived = self._arrivals[index]
        self._block_left -= 1
        # Whole packets that still fit: floor(free / packet) packets.
        free = self._capacity - self.bits
        accepted = np.minimum(arrived, free - free % self._packet)
        self.bits += accepted
        if self._any_arrival[index]:
            self._pending.append((self.tti, accepted))
        self.tti += 1
        return arrived, arrived - accepted

    def expire(self, deadline_ttis: int, users: np.ndarray) -> np.ndarray:
        """Discard the bits of ``users`` (a bool mask) queued for ``deadline_ttis`` TTIs or more; return them.

        Call it after ``serve`` and before ``arrive``: a packet that arrived in TTI ``a`` has then had
        the ``deadline_ttis`` chances ``a+1, ..., a+deadline_ttis`` to be sent. FIFO order means the
        expired bits are the head of the queue, up to the end of the newest batch that is too old.
        """
        self._take_pending()
        served = self._accepted - self.bits
        too_old = (self.tti - self._batch_tti >= deadline_ttis) & users[:, None]
        newest_too_old_end = np.where(too_old, self._batch_end, -np.inf).max(axis=1)
        expired = np.clip(newest_too_old_end - served, 0.0, self.bits)
        expired[expired < self.TOLERANCE_BITS] = 0.0
        self.bits -= expired
        return expired

    def _take_pending(self) -> None:
        """Write the pending TTIs' batches into each user's ring, oldest first."""
        if not self._pending:
            return
        ttis = np.array([tti for tti, _ in self._pending])
        accepted = np.array([bits for _, bits in self._pending])  # (pending TTIs, n_ues)
        self._pending = []
        ends = self._accepted + np.cumsum(accepted, axis=0)
        self._accepted = ends[-1]
        new = accepted > 0
        rank = np.cumsum(new, axis=0) - 1  # a batch's place among its user's new batches
        count = rank[-1] + 1
        # Only each user's last `ring` new batches can still be queued; older ones would be overwritten.
        keep = new & (rank >= count - self._ring)
        rows, users = np.nonzero(keep)
        slots = (self._next_slot[users] + rank[rows, users]) % self._ring
        self._batch_tti[users, slots] = ttis[rows]
        self._batch_end[users, slots] = ends[rows, users]
        self._next_slot = (self._next_slot + count) % self._ring

    @property
    def head_of_line_delay(self) -> np.ndarray:
        """TTIs the oldest queued packet of each user has waited (0 for an empty buffer).

        A packet that arrived in the last TTI has waited 1 TTI when the scheduler next decides.
        """
        self._take_pending()
        served = self._accepted - self.bits
        queued = self._batch_end - served[:, None] > self.TOLERANCE_BITS
        oldest = np.where(queued, self._batch_tti, self.tti).min(axis=1)
        return np.where(self.bits > 0, self.tti - oldest, 0)
