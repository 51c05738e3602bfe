#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The two sides of each vke benchmark and of its anchor, written alike (plain
Python sockets, no library on either side) so that the ratio measures the
kernel paths, not the clients:

  tipc-echo / tipc-ping   raw TIPC (RDM sockets): the anchor of the RTT and
                          rate figures
  vke-echo / vke-ping     the same exchange through vke: a daemon on each
                          side, generic netlink to the node, VKE messages
  group-member / group-bcast
                          a broadcast answered by every member, written in
                          user space over a TIPC communication group: the
                          anchor of the broadcast figure
  vke-bcast               the same through vke (broadcast, response
                          requested, one response per node, completion)

Clients print one JSON object: count, median_us, p99_us, per_s.
usage: vke_bench.py ROLE [options]
"""

import argparse
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__),
                                "../../testing/selftests/vke"))
from vke_wire import HEADER, RESPONSE, pack  # noqa: E402

SOL_TIPC, TIPC_GROUP_JOIN = 271, 135
TIPC_CLUSTER_SCOPE = 2
ECHO_SERVICE = 0x70766901       # raw TIPC echo service
BENCH_GROUP = 0x70766902        # the user-space group
VKE_SERVICE = 42

# Generic netlink.
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK = 1, 4
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID = 16, 3, 1
CTRL_ATTR_FAMILY_NAME = 2
VKE_BIND, VKE_SEND, VKE_MESSAGE_NTF, VKE_DONE_NTF = 3, 5, 6, 7
ATTR_MESSAGE, ATTR_REQUEST = 1, 3


def summary(rtts_us, elapsed):
    rtts_us.sort()
    pick = lambda q: rtts_us[(len(rtts_us) - 1) * q // 100]  # noqa: E731
    return {"count": len(rtts_us), "median_us": pick(50), "p99_us": pick(99),
            "per_s": round(len(rtts_us) / elapsed, 1)}


def attrs(payload):
    """Netlink attributes of a buffer: {type: payload}."""
    out, off = {}, 0
    while off + 4 <= len(payload):
        ln, ty = struct.unpack_from("HH", payload, off)
        if ln < 4:
            break
        out[ty & 0x3fff] = payload[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out


def attr(ty, value):
    ln = 4 + len(value)
    return struct.pack("HH", ln, ty) + value + b"\0" * ((4 - ln % 4) % 4)


class Genl:
    """A generic netlink socket of one family."""

    def __init__(self, family):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        self.sock.bind((0, 0))
        self.seq = 0
        self.id = GENL_ID_CTRL
        reply = self.request(CTRL_CMD_GETFAMILY,
                             attr(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"))
        self.id = struct.unpack("H", attrs(reply)[CTRL_ATTR_FAMILY_ID][:2])[0]

    def send(self, cmd, payload, flags=NLM_F_REQUEST):
        self.seq += 1
        body = struct.pack("BBH", cmd, 1, 0) + payload
        self.sock.send(struct.pack("IHHII", 16 + len(body), self.id, flags,
                                   self.seq, 0) + body)
        return self.seq

    def messages(self):
        """Yields (type, seq, cmd, attribute payload) of one read."""
        data = self.sock.recv(1 << 17)
        off = 0
        while off + 16 <= len(data):
            ln, ty, _, seq, _ = struct.unpack_from("IHHII", data, off)
            body = data[off + 16:off + ln]
            off += (ln + 3) & ~3
            if ty == NLMSG_ERROR:
                err = struct.unpack_from("i", body)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                continue
            if ty == NLMSG_DONE:
                continue
            yield ty, seq, body[0], body[4:]

    def request(self, cmd, payload):
        """Sends a request with an ACK; returns the reply's attributes."""
        seq = self.send(cmd, payload, NLM_F_REQUEST | NLM_F_ACK)
        reply = b""
        while True:
            data = self.sock.recv(1 << 17)
            off = 0
            while off + 16 <= len(data):
                ln, ty, _, s, _ = struct.unpack_from("IHHII", data, off)
                body = data[off + 16:off + ln]
                off += (ln + 3) & ~3
                if s != seq:
                    continue
                if ty == NLMSG_ERROR:
                    err = struct.unpack_from("i", body)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return reply
                reply = body[4:]


def request_of(raw):
    """The fields a responder needs from a VKE request, and whether it asks
    for a response (entry 0x8002 in its sub-header)."""
    (_, _, _, _, service, key, source, _, request, _, sublen, _,
     _) = HEADER.unpack_from(raw)
    respond, off, end = False, HEADER.size, HEADER.size + sublen
    while off + 4 <= end:
        kind, ln = struct.unpack_from(">HH", raw, off)
        respond |= kind == 0x8002
        off += 4 + ((ln + 3) & ~3)
    return service, key, source, request, respond, end


def vke_echo(args):
    """A vke daemon that answers every request of its service with its
    payload, as fast as it can."""
    g = Genl("vke")
    g.request(VKE_BIND, attr(1, struct.pack("I", args.service)))
    print("ready", flush=True)
    while True:
        for ty, _, cmd, payload in g.messages():
            if ty != g.id or cmd != VKE_MESSAGE_NTF:
                continue
            raw = attrs(payload)[ATTR_MESSAGE]
            service, key, source, request, respond, body = request_of(raw)
            if not respond:
                continue
            # The request's payload back.
            answer = pack(RESPONSE, service=service, key=key, dest=source,
                          request=request, payload=raw[body:])
            g.send(VKE_SEND, attr(ATTR_MESSAGE, answer))


def vke_client(args, broadcast):
    """Sends requests asking for responses, `window` at a time, and times
    each until its completion."""
    g = Genl("vke")
    payload = b"x" * args.size
    message = pack(service=args.service, dest=0 if broadcast else args.to,
                   broadcast=broadcast, respond=True, deadline=10000,
                   payload=payload)
    sent_at, seq_of_req, done_early, rtts = {}, {}, {}, []
    total, inflight = args.count + args.warmup, 0
    sent = 0
    start = None
    while len(rtts) < total:
        while sent < total and inflight < args.window:
            seq = g.send(VKE_SEND, attr(ATTR_MESSAGE, message))
            sent_at[seq] = time.perf_counter()
            sent += 1
            inflight += 1
        for ty, seq, cmd, payload in g.messages():
            if ty != g.id:
                continue
            now = time.perf_counter()
            if cmd == VKE_SEND:
                req = struct.unpack("Q", attrs(payload)[ATTR_REQUEST].ljust(8, b"\0"))[0]
                seq_of_req[req] = seq
                if req in done_early:
                    now = done_early.pop(req)
                else:
                    continue
            elif cmd == VKE_DONE_NTF:
                req = struct.unpack("Q", attrs(payload)[1].ljust(8, b"\0"))[0]
                if req not in seq_of_req:
                    done_early[req] = now
                    continue
            else:
                continue
            seq = seq_of_req.pop(req)
            rtts.append((now - sent_at.pop(seq)) * 1e6)
            inflight -= 1
            if len(rtts) == args.warmup:
                start = time.perf_counter()
    elapsed = time.perf_counter() - start
    print(json.dumps(summary([int(r) for r in rtts[args.warmup:]], elapsed)))


def tipc_echo(args):
    sock = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
    sock.bind((socket.TIPC_ADDR_NAMESEQ, ECHO_SERVICE, 1, 1, TIPC_CLUSTER_SCOPE))
    print("ready", flush=True)
    while True:
        data, addr = sock.recvfrom(1 << 17)
        sock.sendto(data, addr)


def tipc_ping(args):
    sock = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
    to = (socket.TIPC_ADDR_NAME, ECHO_SERVICE, 1, 0)
    payload = b"x" * args.size
    sent_at, rtts, seq, total = {}, [], 0, args.count + args.warmup
    inflight, start = 0, None
    while len(rtts) < total:
        while seq < total and inflight < args.window:
            sent_at[seq] = time.perf_counter()
            sock.sendto(struct.pack("I", seq) + payload[4:], to)
            seq += 1
            inflight += 1
        data = sock.recv(1 << 17)
        now = time.perf_counter()
        rtts.append((now - sent_at.pop(struct.unpack_from("I", data)[0])) * 1e6)
        inflight -= 1
        if len(rtts) == args.warmup:
            start = time.perf_counter()
    elapsed = time.perf_counter() - start
    print(json.dumps(summary([int(r) for r in rtts[args.warmup:]], elapsed)))


def join(instance):
    sock = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
    sock.setsockopt(SOL_TIPC, TIPC_GROUP_JOIN,
                    struct.pack("IIII", BENCH_GROUP, instance, TIPC_CLUSTER_SCOPE, 0))
    return sock


def group_member(args):
    """A group member that answers every broadcast to its sender."""
    sock = join(args.instance)
    print("ready", flush=True)
    while True:
        data, addr = sock.recvfrom(1 << 17)
        sock.sendto(data, addr)


def group_bcast(args):
    """Broadcasts to the group and waits for an answer from each of
    `members` members, one round after the other."""
    sock = join(0)
    payload = b"x" * args.size
    rtts, total = [], args.count + args.warmup
    # Until every member has joined, a round is not answered by all.
    sock.settimeout(1.0)
    for attempt in range(60):
        sock.send(struct.pack("I", 0xffffffff) + payload[4:])
        seen = set()
        try:
            while len(seen) < args.members:
                data, addr = sock.recvfrom(1 << 17)
                seen.add(addr)
        except socket.timeout:
            continue
        break
    else:
        raise SystemExit("group: the members never all answered")
    sock.settimeout(None)
    start = None
    for rnd in range(total):
        t0 = time.perf_counter()
        sock.send(struct.pack("I", rnd) + payload[4:])
        got = 0
        while got < args.members:
            data = sock.recv(1 << 17)
            if struct.unpack_from("I", data)[0] == rnd:
                got += 1
        rtts.append((time.perf_counter() - t0) * 1e6)
        if len(rtts) == args.warmup:
            start = time.perf_counter()
    elapsed = time.perf_counter() - start
    print(json.dumps(summary([int(r) for r in rtts[args.warmup:]], elapsed)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["tipc-echo", "tipc-ping", "vke-echo", "vke-ping",
                                    "group-member", "group-bcast", "vke-bcast"])
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--to", type=lambda s: int(s, 0), default=0)
    p.add_argument("--service", type=int, default=VKE_SERVICE)
    p.add_argument("--members", type=int, default=7)
    p.add_argument("--instance", type=int, default=1)
    args = p.parse_args()
    {"tipc-echo": tipc_echo, "tipc-ping": tipc_ping, "vke-echo": vke_echo,
     "vke-ping": lambda a: vke_client(a, False), "group-member": group_member,
     "group-bcast": group_bcast,
     "vke-bcast": lambda a: vke_client(a, True)}[args.role](args)


if __name__ == "__main__":
    main()
