#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A user-space member of a TIPC communication group, for the rust_tipc_echo tests.

Joins GROUP as member INSTANCE with membership events, waits until it has seen
the members it is told to expect, then sends its message: by group broadcast,
to each member (unicast) or to one member of an instance (anycast), and prints
each answer as one JSON line {"node", "port", "data"}; the members it saw as
JSON lines {"member": "up"|"down", ...}. Exits 1 when an expectation fails.
"""

import argparse
import json
import select
import socket
import struct
import sys
import time

SOL_TIPC = 271
TIPC_GROUP_JOIN = 135
TIPC_GROUP_MEMBER_EVTS = 2
TIPC_CLUSTER_SCOPE = 2
TIPC_ADDR_NAME = 2
TIPC_ADDR_ID = 3


def join(group, instance):
    sock = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
    req = struct.pack("4I", group, instance, TIPC_CLUSTER_SCOPE, TIPC_GROUP_MEMBER_EVTS)
    sock.setsockopt(SOL_TIPC, TIPC_GROUP_JOIN, req)
    return sock


def receive(sock, deadline):
    """The next arrival before the deadline, as (kind, (port, node), data), or None."""
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([sock], [], [], left)[0]:
        return None
    data, _, flags, addr = sock.recvmsg(70000, 64)
    # addr is (TIPC_ADDR_ID, node, port, 0, scope): the sender, or the member of an
    # event (Python gives the node first).
    who = (addr[2], addr[1]) if addr and addr[0] == TIPC_ADDR_ID else (0, 0)
    if flags & socket.MSG_OOB:
        return ("down" if flags & socket.MSG_EOR else "up", who, b"")
    return ("data", who, data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", type=lambda v: int(v, 0), required=True)
    ap.add_argument("--instance", type=int, default=2)
    ap.add_argument("--members", type=int, default=1,
                    help="members of instance --of to wait for")
    ap.add_argument("--of", type=int, default=1, help="the instance the kernel members have")
    ap.add_argument("--mode", choices=["broadcast", "unicast", "anycast", "none"],
                    default="broadcast")
    ap.add_argument("--message", default="hello")
    ap.add_argument("--size", type=int, default=0,
                    help="send this many bytes of 'x' instead of --message")
    ap.add_argument("--answers", type=int, default=-1,
                    help="answers expected (default: one per member; 1 for anycast)")
    ap.add_argument("--linger", type=float, default=0.5,
                    help="seconds to listen for more once the answers are in")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    sock = join(a.group, a.instance)
    deadline = time.monotonic() + a.timeout
    members = {}
    while len(members) < a.members:
        got = receive(sock, deadline)
        if got is None:
            print(json.dumps({"error": "members", "seen": len(members)}))
            return 1
        kind, who, _ = got
        if kind == "up":
            members[who] = True
            print(json.dumps({"member": "up", "port": who[0], "node": who[1]}))
        elif kind == "down":
            members.pop(who, None)
            print(json.dumps({"member": "down", "port": who[0], "node": who[1]}))
    if a.mode == "none":
        return 0

    payload = b"x" * a.size if a.size else a.message.encode()
    if a.mode == "broadcast":
        sock.send(payload)
        want = len(members)
    elif a.mode == "unicast":
        for port, node in members:
            sock.sendto(payload, (TIPC_ADDR_ID, node, port, 0))
        want = len(members)
    else:
        sock.sendto(payload, (TIPC_ADDR_NAME, a.group, a.of, 0))
        want = 1
    if a.answers >= 0:
        want = a.answers

    answers = 0
    linger_until = None
    while True:
        until = deadline if linger_until is None else min(deadline, linger_until)
        got = receive(sock, until)
        if got is None:
            break
        kind, who, data = got
        if kind == "data":
            answers += 1
            text = data.decode(errors="replace")
            print(json.dumps({"node": who[1], "port": who[0], "len": len(data),
                              "data": text[:200]}))
        else:
            print(json.dumps({"member": kind, "port": who[0], "node": who[1]}))
        if answers >= want and linger_until is None:
            linger_until = time.monotonic() + a.linger
    ok = answers == want
    if not ok:
        print(json.dumps({"error": "answers", "got": answers, "want": want}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
