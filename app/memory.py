"""Process-wide memory settings for a long-running server.

glibc serves allocations of 128 KiB and more with mmap, so they go back to the system
when freed, but only until the first such block is freed: from then on it raises that
threshold to the freed size (up to 32 MiB) and serves large blocks from the heap, which
it rarely gives back. A burst of requests with megabyte bodies then leaves the process
that much larger for good. Fixing the threshold keeps large buffers on mmap.

The garbage collector's full passes walk every live object; what the process built
at startup lives until exit, so it is frozen out of those passes.

The youngest generation is collected once tracked allocations outnumber deallocations by
its threshold. At the default 700, a request's own working objects (documents, rows,
results, coroutines, in flight for sixteen requests at once) trigger collections that
walk them while alive and promote them, to be walked again in the older generations
before they die anyway. At 10 000, most requests finish, and free what they hold,
before a collection: measured in process (scripts/bench/cpu.py's harness, sixteen
requests at a time, collector time from `gc.callbacks`) the collector's time per request
fell from 0.17 to 0.06 ms for `me` and `organizations(first: 50)` and from 1.4 to 1.0 ms
for the nested scenario. A larger threshold saved little more (20 000: 1.0 → 0.8 ms
nested, nothing for the flat queries) while each young collection, a pause of the event
loop, grows with it (about 2-5 ms at 10 000 on the benchmark machine, twice that at 20 000).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024
GC_THRESHOLDS = (10_000, 10, 10)  # youngest generation, then the two older (CPython's defaults)


def tune_for_serving() -> None:
    _fix_mmap_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _fix_mmap_threshold() -> None:
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to fix
        return
