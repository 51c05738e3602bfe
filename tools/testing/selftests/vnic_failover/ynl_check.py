#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drives the vnic-failover family with the kernel's YNL library, from the
YAML spec alone, in one process (Python starts slowly under TCG).

usage: ynl_check.py YNL_DIR SPEC VNIC_IFINDEX MEMBER_IFINDEX

Prints "ok NAME" or "fail NAME: why" per check; exits 1 if any failed.
"""

import ipaddress
import os
import sys
import tempfile


sys.path.insert(0, sys.argv[1])
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../ynl"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from lib import YnlFamily  # noqa: E402  (path set above)
import rt_link_spec  # noqa: E402
from ynl_checks import Checks  # noqa: E402
from ynl_checks import refusal as refused  # noqa: E402

spec, vnic, member = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ynl = YnlFamily(spec, schema="")
checks = Checks()
check = checks.check


def refusal(op, vals):
    """Returns the extack of a refused request, or None if it was accepted."""
    return refused(lambda: ynl.do(op, vals))


reply = ynl.do("dev-get", {"ifindex": vnic})
states = sorted(m["state"] for m in reply.get("member", []))
check("dev-get", reply.get("ifindex") == vnic and "active" in states, reply)

dumped = [d["ifindex"] for d in ynl.dump("dev-get", {})]
check("dump", vnic in dumped, dumped)

ext = refusal("dev-get", {})
check("missing-ifindex", ext is not None and ext.get("miss-type") == "ifindex", ext)

ext = refusal("dev-set", {"ifindex": vnic, "failback": 3})
check("failback-range", ext is not None and ext.get("bad-attr") == ".failback", ext)

ext = refusal("member-set", {"ifindex": member, "admin-failed": 2})
check("admin-failed-range", ext is not None and ext.get("bad-attr") == ".admin-failed", ext)

# An attribute of the reply set that requests must not carry.
ext = refusal("dev-set", {"ifindex": vnic, "active": member})
check("reject-reply-attr", ext is not None and ext.get("bad-attr") == ".active", ext)

# ARP probing: the target travels in network order and YNL shows it as an
# address (the spec's byte-order and display-hint); reply-only counters and a
# multicast target are refused.
ynl.do("dev-set", {"ifindex": vnic, "probe-target": int(ipaddress.IPv4Address("192.0.2.2"))})
reply = ynl.do("dev-get", {"ifindex": vnic})
check(
    "probe-target",
    reply.get("probe-target") == "192.0.2.2" and reply.get("probe-missed-max") == 2,
    reply,
)
ext = refusal("dev-set", {"ifindex": vnic, "probe-target": int(ipaddress.IPv4Address("224.0.0.1"))})
check("probe-target-multicast", ext is not None and "unicast IPv4" in ext.get("msg", ""), ext)
ext = refusal("dev-set", {"ifindex": vnic, "probes-sent": 1})
check("reject-probes-sent", ext is not None and ext.get("bad-attr") == ".probes-sent", ext)

# rtnetlink: the kernel's rt_link.yaml with the kind added from our spec
# (tools/ynl/rt_link_spec.py) decodes IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA,
# which must agree with dev-get.
specs = os.path.join(sys.argv[1], "../../../Documentation/netlink/specs")
with tempfile.NamedTemporaryFile("w", suffix=".yaml") as out:
    rt_link_spec.write(os.path.join(specs, "rt_link.yaml"), spec, out)
    rt = YnlFamily(out.name, schema="")
    info = rt.do("getlink", {"ifi-index": vnic}).get("linkinfo", {})
    member_info = rt.do("getlink", {"ifi-index": member}).get("linkinfo", {})
data = info.get("data", {})
check(
    "info-data",
    info.get("kind") == "vnic_failover"
    and data.get("active") == reply.get("active")
    and data.get("failback") == reply.get("failback")
    and data.get("health-check-interval") == reply.get("health-check-interval")
    and data.get("failovers") == reply.get("failovers")
    and data.get("probe-target") == "192.0.2.2",
    f"{info} against {reply}",
)
ours = next((m for m in reply.get("member", []) if m["ifindex"] == member), {})
slave = member_info.get("slave-data", {})
check(
    "info-slave-data",
    member_info.get("slave-kind") == "vnic_failover"
    and all(slave.get(k) == ours.get(k) for k in ("priority", "state", "flaps"))
    and ours,
    f"{member_info} against {ours}",
)

ynl.do("dev-set", {"ifindex": vnic, "probe-target": 0})
check("probe-off", "probe-target" not in ynl.do("dev-get", {"ifindex": vnic}), "still probing")

# An IPv6 target: 16 bytes that YNL shows as an address (display-hint), in
# dev-get and IFLA_INFO_DATA alike. The interval is long enough that nobody
# fails before probing is off again.
interval = reply.get("probe-interval")
target6 = ipaddress.IPv6Address("2001:db8::2").packed
ynl.do("dev-set", {"ifindex": vnic, "probe-target6": target6, "probe-interval": 10000})
reply6 = ynl.do("dev-get", {"ifindex": vnic})
with tempfile.NamedTemporaryFile("w", suffix=".yaml") as out:
    rt_link_spec.write(os.path.join(specs, "rt_link.yaml"), spec, out)
    data6 = YnlFamily(out.name, schema="").do("getlink", {"ifi-index": vnic})
data6 = data6.get("linkinfo", {}).get("data", {})
check(
    "probe-target6",
    reply6.get("probe-target6") == "2001:db8::2"
    and "probe-target" not in reply6
    and data6.get("probe-target6") == "2001:db8::2",
    f"{reply6} / {data6}",
)
ext = refusal("dev-set", {"ifindex": vnic, "probe-target6": target6[:15]})
check("probe-target6-length", ext is not None and ext.get("bad-attr") == ".probe-target6", ext)
ext = refusal("dev-set", {"ifindex": vnic, "probe-target6": ipaddress.IPv6Address("ff02::1").packed})
check("probe-target6-multicast", ext is not None and "IPv6" in ext.get("msg", ""), ext)
ext = refusal(
    "dev-set",
    {"ifindex": vnic, "probe-target6": target6, "probe-target": int(ipaddress.IPv4Address("192.0.2.2"))},
)
check("two-probe-targets", ext is not None and "one probe target" in ext.get("msg", ""), ext)
ynl.do("dev-set", {"ifindex": vnic, "probe-target6": bytes(16), "probe-interval": interval})
reply6 = ynl.do("dev-get", {"ifindex": vnic})
check(
    "probe-target6-off",
    "probe-target6" not in reply6 and reply6.get("probe-interval") == interval,
    reply6,
)

sys.exit(checks.exit_code())
