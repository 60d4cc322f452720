#!/usr/bin/env python3
"""tests/bench/thp_touch.py huge|4k [MiB] — benchmark (not a test): how fast this machine backs fresh anonymous
memory, with transparent huge pages (MADV_HUGEPAGE, what init/heap.cpp asked for until 2026-12-02) or 4 KiB pages.
Maps MiB (default 64), writes one byte per 4 KiB and prints the time. Run it a few times in a row: on a VM the first
touch of memory the guest has not used lately can be many times slower than the next (docs/performance.md, "The
first run after a pause")."""
import mmap
import sys
import time


def main():
    huge = sys.argv[1] == "huge"
    n = (int(sys.argv[2]) if len(sys.argv) > 2 else 64) << 20
    m = mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.madvise(mmap.MADV_HUGEPAGE if huge else mmap.MADV_NOHUGEPAGE)
    t = time.perf_counter()
    for i in range(0, n, 4096):
        m[i] = 1
    d = time.perf_counter() - t
    print("%s, %d MiB: %.1f ms, %.2f GB/s" % ("huge pages" if huge else "4 KiB pages", n >> 20, d * 1e3, n / d / 1e9))
    return 0


if __name__ == "__main__":
    sys.exit(main())
