"""Named cells: the default one, and one with delay-critical traffic where a learned scheduler has room.

``DEFAULT`` is the cell of every lesson: best-effort users whose buffers can overflow. There the
best rule already reaches about 96% of the clairvoyant bound (``python -m benchmarks.baselines``),
so no scheduler, learned or not, can win by much.

``DELAY_CRITICAL`` gives two of the four users delay-critical traffic: a packet still queued
after 10 TTIs (10 ms) is discarded. That is the packet delay budget of 3GPP's low-latency classes
(TS 23.501, Table 5.7.4-1: 5QI 80, 10 ms), next to best-effort users as in every mixed-traffic
study of LTE schedulers (Capozzi et al., 2013). Now a scheduler must weigh, every TTI, a critical
packet that will die soon against a best-effort user on a better channel, with the two classes'
value on one scale: the rules do this with one fixed formula, and the bound shows they leave far
more on the table than in the default cell.
"""
from __future__ import annotations

DEFAULT: dict = {}
DELAY_CRITICAL: dict = {"delay_critical_ues": 2, "deadline_ttis": 10}
