#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads the irq-balancer family's interrupt table with the kernel's YNL
library, from the YAML spec alone, and compares it with what /proc and sysfs
say, in one process (Python starts slowly under TCG).

usage: table_check.py YNL_DIR SPEC NIC_IFINDEX PCI_FUNCTION VETH_IFINDEX

Prints "ok NAME" or "fail NAME: why" per check; exits 1 if any failed.
"""

import os
import sys

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from lib import YnlFamily  # noqa: E402  (path set above)
from ynl_checks import Checks, refusal  # noqa: E402

spec, nic, function, veth = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
ynl = YnlFamily(spec, schema="")
checks = Checks()
check = checks.check


def proc_counts():
    """Per line, its per-CPU counts and handler name from /proc/interrupts."""
    with open("/proc/interrupts") as f:
        cpus = len(f.readline().split())
        rows = {}
        for line in f:
            fields = line.split()
            if not fields or not fields[0].rstrip(":").isdigit():
                continue
            counts = [int(c) for c in fields[1 : 1 + cpus]]
            rows[int(fields[0].rstrip(":"))] = (counts, fields[-1])
    return rows


def cpu_list(text):
    cpus = []
    for part in text.strip().split(","):
        first, _, last = part.partition("-")
        cpus += range(int(first), int(last or first) + 1)
    return cpus


lines = sorted(int(n) for n in os.listdir(os.path.join(function, "msi_irqs")))
for row in ynl.dump("vector-get", {"ifindex": nic}):
    print("table", row)
before = proc_counts()
table = ynl.dump("vector-get", {"ifindex": nic})
after = proc_counts()

check("lines", sorted(v["irq"] for v in table) == lines, (table, lines))
check("indices", [v["index"] for v in table] == list(range(len(table))) and
      all(v["ifindex"] == nic for v in table), table)
check("handlers", all(v.get("handler") == before[v["irq"]][1] for v in table),
      [(v.get("handler"), before.get(v["irq"])) for v in table])
affinity = {n: cpu_list(open(f"/proc/irq/{n}/smp_affinity_list").read()) for n in lines}
check("cpus", all(v.get("cpu", []) == affinity[v["irq"]] for v in table),
      [(v.get("cpu"), affinity.get(v["irq"])) for v in table])
check("unmanaged", all(v.get("managed") == 0 for v in table), table)
# Counts only grow: the table's lies between two reads of /proc.
counts_ok = all(sum(before[v["irq"]][0]) <= v["interrupts"] <= sum(after[v["irq"]][0]) and
                sum(c["interrupts"] for c in v.get("per-cpu", [])) == v["interrupts"]
                for v in table)
counts_ok &= any(v["interrupts"] > 0 for v in table)
check("counts", counts_ok, [(v.get("per-cpu"), v["interrupts"], before[v["irq"]][0],
                             after[v["irq"]][0]) for v in table])

# A line moved through /proc shows its new CPUs (a pending move's target).
moved = lines[-1]
with open(f"/proc/irq/{moved}/smp_affinity_list", "w") as f:
    f.write("1")
row = [v for v in ynl.dump("vector-get", {"ifindex": nic}) if v["irq"] == moved]
check("moved", len(row) == 1 and row[0].get("cpu") == [1], row)
with open(f"/proc/irq/{moved}/smp_affinity_list", "w") as f:
    f.write(",".join(map(str, affinity[moved])))

check("veth", ynl.dump("vector-get", {"ifindex": veth}) == [], "a veth has vectors")


ext = refusal(lambda: ynl.dump("vector-get", {}))
check("missing-ifindex", ext is not None and ext.get("miss-type") == "ifindex", ext)
ext = refusal(lambda: ynl.dump("vector-get", {"ifindex": 999999}))
check("no-device", ext is not None and ext["errno"] == 19 and
      "no such device" in ext.get("msg", ""), ext)

sys.exit(checks.exit_code())
