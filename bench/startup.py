"""CPython's start-up costs, the counterparts of the playground's (bench/run.mjs).

Prints one line, RESULT {json}, with every figure in milliseconds:

- thread_start_ms: threading.Thread(...).start() to its target running, each of `threads` starts;
- process_start_ms[method]: Process(...).start() to its target running, for the start methods
  spawn, forkserver and fork, one process at a time (`first` apart: forkserver's first start
  also starts the server, spawn's and fork's first pay for cold caches);
- pool_start_ms[method]: a cold Pool(8): from Pool() being called to each worker running its
  initializer, per process;
- asyncio_10k_ms: 10,000 asyncio tasks sleeping 200 ms each, gather()ed: the wall time.

Times cross processes on time.time_ns(), the wall clock every process of the machine reads.

usage: python3 bench/startup.py [processes=20] [threads=200]
"""

import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import threading
import time


def now_ms():
    return time.time_ns() / 1e6


def child(conn):
    conn.send(now_ms())
    conn.close()


def mark(queue):
    queue.put(now_ms())


def process_starts(method, n):
    ctx = mp.get_context(method)
    starts = []
    for _ in range(n + 1):
        parent, child_end = ctx.Pipe(duplex=False)
        t0 = now_ms()
        p = ctx.Process(target=child, args=(child_end,))
        p.start()
        running = parent.recv()
        starts.append(running - t0)
        p.join()
    return {"first": starts[0], "each": starts[1:]}


def pool_start(method, size):
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    t0 = now_ms()
    with ctx.Pool(size, initializer=mark, initargs=(queue,)) as pool:
        running = [queue.get() - t0 for _ in range(size)]
        pool.close()
        pool.join()
    return sorted(running)


def thread_starts(n):
    starts = []
    for _ in range(n):
        seen = []
        t0 = time.perf_counter()
        t = threading.Thread(target=lambda: seen.append(time.perf_counter()))
        t.start()
        t.join()
        starts.append((seen[0] - t0) * 1000)
    return starts


async def sleepers(n, seconds):
    t0 = time.perf_counter()
    await asyncio.gather(*(asyncio.sleep(seconds) for _ in range(n)))
    return (time.perf_counter() - t0) * 1000


def main():
    processes = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    methods = [m for m in ("spawn", "forkserver", "fork") if m in mp.get_all_start_methods()]
    result = {
        "python": sys.version.split()[0],
        "default_method": mp.get_start_method(),
        "thread_start_ms": thread_starts(threads),
        "process_start_ms": {m: process_starts(m, processes) for m in methods},
        "pool_start_ms": {m: pool_start(m, 8) for m in methods},
        "asyncio_10k_ms": asyncio.run(sleepers(10_000, 0.2)),
    }
    summary = {m: round(statistics.median(v["each"]), 2) for m, v in result["process_start_ms"].items()}
    print(f"process start, median ms: {summary}", file=sys.stderr)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
