"""Process-wide memory settings for a long-running server.

glibc serves allocations of 128 KiB and more with mmap, so they go back to the system
when freed, but only until the first such block is freed: from then on it raises that
threshold to the freed size (up to 32 MiB) and serves large blocks from the heap, which
it rarely gives back. A burst of requests with megabyte bodies then leaves the process
that much larger for good. Fixing the threshold keeps large buffers on mmap.

The garbage collector's full passes walk every live object; what the process built
at startup lives until exit, so it is frozen out of those passes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def tune_for_serving() -> None:
    _fix_mmap_threshold()
    gc.collect()
    gc.freeze()


def _fix_mmap_threshold() -> None:
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to fix
        return
