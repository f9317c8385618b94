"""The garbage collector's settings for a long-running service process.

CPython's cyclic collector runs a young collection every 700 net
allocations of tracked objects and, now and then, a full one over every
object alive. A bot process holds ~230,000 long-lived objects from start-up
(the classifier's vocabulary and caches, aiogram's and pydantic's types,
the pack), and an update allocates a few hundred short-lived ones (parsed
updates, models, dicts). Measured in bench/bot_pipeline.py, the collector
took ~0.3 ms of CPU per update (~15 % of the pipeline), most of it full
collections walking start-up objects that never become garbage.

:func:`settle` moves everything alive after start-up into the permanent
generation (``gc.freeze``: never walked again, still freed by reference
counting) and lets young collections wait for 10,000 allocations: nearly all
of an update's objects are freed by reference counting long before, so a
collection finds the same garbage at a fraction of the visits. Cycles are
still collected, only later.
"""

from __future__ import annotations

import gc

#: Net allocations between young collections (CPython's default: 700).
YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Call once, when the process has built its long-lived resources."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
