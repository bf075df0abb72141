"""The queues' head-of-line delay agrees with a packet-by-packet FIFO, and never alters the episode."""
from collections import deque

import numpy as np
import pytest

from commenv import RadioSchedulingEnv


def reference_delays(config, seed, n_steps=400, read_every=1):
    """Play random actions (with stretches that starve users) and follow every packet in Python deques.

    The env's delay is read every ``read_every`` TTIs: between reads the queue only notes its arrivals.
    """
    env = RadioSchedulingEnv(config)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    queues = [deque([[-1, bits]]) if bits > 0 else deque() for bits in env.buffer_bits.tolist()]
    expected, measured = [], []
    deadline, critical = env.config.deadline_ttis, env.critical
    for t in range(n_steps):
        if t % read_every == 0:
            expected.append([t - q[0][0] if q else 0 for q in queues])
            measured.append(env.head_of_line_delay.copy())
        action = rng.integers(0, env.n_ues, env.n_rbgs) if t % 60 < 40 else np.zeros(env.n_rbgs, dtype=int)
        info = env.step(action)[4]
        for user, q in enumerate(queues):
            left = info["delivered_bits"][user]
            while left > 0 and q:
                sent = min(left, q[0][1])
                q[0][1] -= sent
                left -= sent
                if q[0][1] <= 1e-9:
                    q.popleft()
            expired = 0.0
            while critical[user] and q and t - q[0][0] >= deadline:  # had its deadline_ttis chances
                expired += q.popleft()[1]
            assert info["expired_bits"][user] == pytest.approx(expired, abs=1e-6)
            accepted = info["arrived_bits"][user] - info["dropped_bits"][user]
            if accepted > 0:
                q.append([t, accepted])
    return np.array(expected), np.array(measured)


@pytest.mark.parametrize("config", [None, {"arrival_rate_mbps": 4.0},
                                    {"arrival_rate_mbps": 0.5, "packet_size_bits": 5000, "buffer_size_bits": 23_000},
                                    {"arrival_rate_mbps": 30.0, "buffer_size_bits": 12_000},
                                    {"delay_critical_ues": 2, "deadline_ttis": 10},
                                    {"delay_critical_ues": 4, "deadline_ttis": 3, "arrival_rate_mbps": 4.0}])
@pytest.mark.parametrize("read_every", [1, 7, 300])
def test_head_of_line_delay_follows_every_packet(config, read_every):
    expected, measured = reference_delays(config, seed=3, n_steps=700, read_every=read_every)
    np.testing.assert_array_equal(measured, expected)
    cell = RadioSchedulingEnv(config)
    if cell.has_deadlines and read_every == 1:  # a delay-critical packet is sent or gone by its deadline, and some reach it
        assert expected[:, cell.critical].max() == cell.config.deadline_ttis
    assert expected[:, ~cell.critical].max(initial=11) > 10  # starved users really aged, so the test can fail


def test_a_packet_waits_one_tti_when_first_seen_and_an_empty_buffer_has_no_delay():
    env = RadioSchedulingEnv({"arrival_rate_mbps": 0.5})
    env.reset(seed=0)
    start = env.buffer_bits.copy()
    np.testing.assert_array_equal(env.head_of_line_delay, np.where(start > 0, 1, 0))  # queued at reset: TTI -1
    for _ in range(50):
        before = env.buffer_bits.copy()
        info = env.step(np.zeros(6, dtype=int))[4]
        fresh = (before == 0) & (info["arrived_bits"] > info["dropped_bits"])
        if fresh.any():
            assert np.all(env.head_of_line_delay[fresh] == 1)
            break
    else:
        pytest.fail("no packet arrived into an empty buffer in 50 TTIs")
    assert np.all(env.head_of_line_delay[env.buffer_bits == 0] == 0)


def test_reading_the_delay_changes_nothing():
    def trace(read):
        env = RadioSchedulingEnv()
        obs, _ = env.reset(seed=2)
        out = [obs]
        for t in range(300):
            if read:
                env.head_of_line_delay
            obs, reward, *_ = env.step(np.arange(6) % 4)
            out += [obs, [reward]]
        return np.concatenate(out)

    np.testing.assert_array_equal(trace(True), trace(False))


def test_a_scheduler_that_never_asks_keeps_the_queue_small():
    """Arrivals wait to enter the ring only until the next block of draws: memory stays bounded."""
    env = RadioSchedulingEnv({"arrival_rate_mbps": 30.0})
    env.reset(seed=0)
    for _ in range(1000):
        env.step(np.zeros(6, dtype=int))
        assert len(env.queues._pending) <= env.queues.BLOCK
