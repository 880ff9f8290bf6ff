#!/usr/bin/env python3
# fsync latency of the disk the store lives on: append 32 KiB (about what a group commit adds to LiteDB's log),
# fsync, pause 5 ms (a node at 50 certificates/s), 1,000 times; prints percentiles.
# usage: fsync_latency.py [folder]   (default: the current folder; the probe file is removed afterwards)
import os, sys, time
path = os.path.join(sys.argv[1] if len(sys.argv) > 1 else '.', 'fsync-probe.bin')
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
latencies = []
try:
    chunk = b'x' * 32 * 1024
    for _ in range(1000):
        os.write(fd, chunk)
        t = time.perf_counter()
        os.fsync(fd)
        latencies.append((time.perf_counter() - t) * 1000)
        time.sleep(0.005)
finally:
    os.close(fd)
    os.remove(path)
latencies.sort()
q = lambda p: latencies[int(p * len(latencies)) - 1]
print(f"fsync after a 32 KiB append, {len(latencies)} samples: p50 {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, "
      f"p99 {q(0.99):.2f} ms, max {latencies[-1]:.2f} ms")
