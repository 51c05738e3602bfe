#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks the netlink YAML specs of Documentation/netlink/specs.

Each spec must validate against the kernel's schema for its protocol (from the
cached 6.12 tree), and the Rust code that speaks the family (the kernel module
and the CLI) must use the numbers the spec gives: every `mod NAME { const X:
T = N; ... }` block listed below must hold exactly the entries of its spec
section, with the same values. Prints one line per problem; exits 1 on any.

usage: spec-check.py KERNEL_SOURCE_TREE
"""

import re
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
KSRC = Path(sys.argv[1])
sys.path.insert(0, str(KSRC / "tools/net/ynl"))
from lib.nlspec import SpecFamily  # noqa: E402  (path set above)

# spec file -> [(rust file, mod name, section)]; a section is "ops", "attrs:SET"
# or "enum:NAME". String arrays `const NAME: &[&str] = &[...]` are checked
# against "enum:NAME" sections with the kind "names".
BINDINGS = {
    "vnic_failover.yaml": [
        ("vnic_failover/netlink.rs", "cmd", "ops"),
        ("vnic_failover/netlink.rs", "vnic_attr", "attrs:vnic"),
        ("vnic_failover/netlink.rs", "member_attr", "attrs:member"),
        ("vnic_failover/netlink.rs", "state", "enum:member-state"),
        ("tools/pvio/src/vnic.rs", "cmd", "ops"),
        ("tools/pvio/src/vnic.rs", "vnic_attr", "attrs:vnic"),
        ("tools/pvio/src/vnic.rs", "member_attr", "attrs:member"),
        ("tools/pvio/src/vnic.rs", "FAILBACK", "names:failback"),
        ("tools/pvio/src/vnic.rs", "REASON", "names:reason"),
        ("tools/pvio/src/vnic.rs", "MEMBER_STATE", "names:member-state"),
        ("tools/pvio/src/vnic.rs", "FAILURE", "names:failure"),
    ],
    "irq_balancer.yaml": [
        ("irq_balancer/netlink.rs", "cmd", "ops"),
        ("irq_balancer/netlink.rs", "vector_attr", "attrs:vector"),
        ("irq_balancer/netlink.rs", "cpu_count_attr", "attrs:cpu-count"),
        ("irq_balancer/netlink.rs", "adapter_attr", "attrs:adapter"),
        ("irq_balancer/netlink.rs", "line_attr", "attrs:line"),
        ("irq_balancer/netlink.rs", "config_attr", "attrs:config"),
        ("irq_balancer/netlink.rs", "decision_attr", "attrs:decision"),
        ("irq_balancer/netlink.rs", "move_attr", "attrs:move"),
        ("irq_balancer/netlink.rs", "cpu_attr", "attrs:cpu"),
        ("irq_balancer/netlink.rs", "reason", "enum:reason"),
        ("irq_balancer/netlink.rs", "pressure", "enum:pressure"),
        ("tools/pvio/src/irq.rs", "cmd", "ops"),
        ("tools/pvio/src/irq.rs", "adapter_attr", "attrs:adapter"),
        ("tools/pvio/src/irq.rs", "line_attr", "attrs:line"),
        ("tools/pvio/src/irq.rs", "config_attr", "attrs:config"),
        ("tools/pvio/src/irq.rs", "decision_attr", "attrs:decision"),
        ("tools/pvio/src/irq.rs", "move_attr", "attrs:move"),
        ("tools/pvio/src/irq.rs", "cpu_attr", "attrs:cpu"),
        ("tools/pvio/src/irq.rs", "PRESSURE", "names:pressure"),
        ("tools/pvio/src/irq.rs", "HOLD", "names:hold"),
        ("tools/pvio/src/irq.rs", "REASON", "names:reason"),
    ],
    "vke.yaml": [
        ("vke/netlink.rs", "cmd", "ops"),
        ("vke/netlink.rs", "node_attr", "attrs:node"),
        ("vke/netlink.rs", "config_attr", "attrs:config"),
        ("vke/netlink.rs", "stats_attr", "attrs:stats"),
        ("vke/netlink.rs", "service_attr", "attrs:service"),
        ("vke/netlink.rs", "member_attr", "attrs:member"),
        ("vke/netlink.rs", "message_attr", "attrs:message"),
        ("vke/netlink.rs", "done_attr", "attrs:done"),
        ("vke/netlink.rs", "responder_attr", "attrs:responder"),
        ("vke/netlink.rs", "member_state", "enum:member-state"),
        ("vke/netlink.rs", "reason", "enum:reason"),
        ("vke/netlink.rs", "outcome", "enum:outcome"),
        ("tools/pvio/src/vke.rs", "cmd", "ops"),
        ("tools/pvio/src/vke.rs", "node_attr", "attrs:node"),
        ("tools/pvio/src/vke.rs", "config_attr", "attrs:config"),
        ("tools/pvio/src/vke.rs", "service_attr", "attrs:service"),
        ("tools/pvio/src/vke.rs", "member_attr", "attrs:member"),
        ("tools/pvio/src/vke.rs", "message_attr", "attrs:message"),
        ("tools/pvio/src/vke.rs", "done_attr", "attrs:done"),
        ("tools/pvio/src/vke.rs", "responder_attr", "attrs:responder"),
        ("tools/pvio/src/vke.rs", "MEMBER_STATE", "names:member-state"),
        ("tools/pvio/src/vke.rs", "REASON", "names:reason"),
        ("tools/pvio/src/vke.rs", "OUTCOME", "names:outcome"),
    ],
}


def const_name(name):
    return name.upper().replace("-", "_")


def expected(spec, section):
    kind, _, what = section.partition(":")
    if kind == "ops":
        return {const_name(n): op.value for n, op in spec.msgs.items()}
    if kind == "attrs":
        return {const_name(a.name): a.value for a in spec.attr_sets[what].attrs.values()}
    if kind in ("enum", "names"):
        return {const_name(e.name): e.value for e in spec.consts[what].entries.values()}
    raise ValueError(section)


def rust_consts(text, mod):
    m = re.search(r"mod %s \{(.*?)\n\s*\}" % re.escape(mod), text, re.S)
    if not m:
        return None
    return {k: int(v) for k, v in re.findall(r"const (\w+): \w+ = (\d+);", m.group(1))}


def rust_names(text, name):
    m = re.search(r"const %s: &\[&str\] = &\[(.*?)\];" % re.escape(name), text, re.S)
    if not m:
        return None
    names = re.findall(r'"([^"]*)"', m.group(1))
    return {const_name(n): i for i, n in enumerate(names)}


problems = []
for path in sorted((ROOT / "Documentation/netlink/specs").glob("*.yaml")):
    raw = yaml.safe_load(path.read_text())
    schema = KSRC / "Documentation/netlink" / (raw.get("protocol", "genetlink") + ".yaml")
    try:
        jsonschema.validate(raw, yaml.safe_load(schema.read_text()))
    except jsonschema.ValidationError as e:
        problems.append(f"{path.name}: {e.message}")
        continue
    spec = SpecFamily(str(path), schema_path="")
    for rel, mod, section in BINDINGS.get(path.name, []):
        text = (ROOT / rel).read_text()
        got = rust_names(text, mod) if section.startswith("names:") else rust_consts(text, mod)
        if got is None:
            problems.append(f"{rel}: no {mod} for {path.name} {section}")
            continue
        want = expected(spec, section)
        if got != want:
            diff = sorted(set(got.items()) ^ set(want.items()))
            problems.append(f"{rel}: {mod} differs from {path.name} {section}: {diff}")
    if path.name not in BINDINGS:
        problems.append(f"{path.name}: no code bound to it in spec-check.py")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
