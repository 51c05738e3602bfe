#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Samples interrupt imbalance and line moves for bench.sh, in one process.

Every STEP seconds for RUN seconds it reads /proc/interrupts and the
affinity of the given lines, and prints one tab-separated row per step:
the wall-clock time, the busiest CPU's device interrupt rate over the step
in percent of the mean (every numbered line, then the given lines alone),
and how many times the given lines' affinities changed so far. It touches
"ready" (its second argument's file) once it has its baseline. A shell loop
spawning a process per read took 5 s per step in the guest.

usage: sample.py RUN STEP READY_FILE IRQ...
"""

import sys
import time


def counts():
    """Per-CPU counts of every numbered line of /proc/interrupts."""
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        rows = {}
        for line in f:
            parts = line.split()
            if not parts or not parts[0].rstrip(":").isdigit():
                continue
            values = parts[1 : 1 + ncpu]
            if len(values) == ncpu and all(v.isdigit() for v in values):
                rows[int(parts[0].rstrip(":"))] = [int(v) for v in values]
    return ncpu, rows


def affinity(irq):
    try:
        with open(f"/proc/irq/{irq}/smp_affinity_list") as f:
            return f.read().strip()
    except OSError:
        return None


def imbalance(per_cpu):
    total = sum(per_cpu)
    return 0 if total == 0 else max(per_cpu) * len(per_cpu) * 100 // total


def main():
    run, step, ready = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    irqs = [int(i) for i in sys.argv[4:]]
    ncpu, before = counts()
    placed = {irq: affinity(irq) for irq in irqs}
    start = time.monotonic()
    open(ready, "w").close()
    moves = 0
    k = 1
    while k * step <= run + step / 2:
        time.sleep(max(0.0, start + k * step - time.monotonic()))
        ncpu, now = counts()
        every = [0] * ncpu
        ours = [0] * ncpu
        for irq, values in now.items():
            was = before.get(irq, [0] * ncpu)
            for cpu in range(ncpu):
                delta = values[cpu] - (was[cpu] if cpu < len(was) else 0)
                every[cpu] += delta
                if irq in placed:
                    ours[cpu] += delta
        for irq in irqs:
            cpus = affinity(irq)
            if cpus != placed[irq]:
                moves += 1
                placed[irq] = cpus
        before = now
        print(f"{time.time():.3f}\t{imbalance(every)}\t{imbalance(ours)}\t{moves}", flush=True)
        k += 1


if __name__ == "__main__":
    main()
