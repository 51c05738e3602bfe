#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drives the vnic-failover family with the kernel's YNL library, from the
YAML spec alone, in one process (Python starts slowly under TCG).

usage: ynl_check.py YNL_DIR SPEC VNIC_IFINDEX MEMBER_IFINDEX

Prints "ok NAME" or "fail NAME: why" per check; exits 1 if any failed.
"""

import sys

sys.path.insert(0, sys.argv[1])
from lib import NlError, YnlFamily  # noqa: E402  (path set above)

spec, vnic, member = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ynl = YnlFamily(spec, schema="")
failed = False


def check(name, ok, why):
    global failed
    print(f"ok {name}" if ok else f"fail {name}: {why}")
    failed |= not ok


def refusal(op, vals):
    """Returns the extack of a refused request, or None if it was accepted."""
    try:
        ynl.do(op, vals)
    except NlError as e:
        return {"errno": e.error, **(e.nl_msg.extack or {})}
    return None


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

sys.exit(1 if failed else 0)
