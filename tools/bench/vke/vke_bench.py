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


def nl_send_message(family, raw):
    """A vke `send` request carrying VKE message `raw`, without an ACK: the
    daemon numbers its requests, so the node sends no reply either."""
    body = b"\x05\x01\x00\x00" + attr(ATTR_MESSAGE, raw)
    return bytearray(struct.pack("IHHII", 16 + len(body), family,
                                 NLM_F_REQUEST, 0, 0) + body)


# Offsets in a `send` request of nl_send_message: the netlink sequence, and
# the VKE request id (netlink 16 + genetlink 4 + attribute 4 + 28).
SEQ_AT, REQUEST_AT = 8, 52


def netlink_messages(data):
    """Yields (type, offset, length) of the netlink messages of a read,
    raising on an error."""
    off = 0
    while off + 16 <= len(data):
        ln, ty = struct.unpack_from("IH", data, off)
        if ty == NLMSG_ERROR:
            err = struct.unpack_from("i", data, off + 16)[0]
            if err:
                raise OSError(-err, os.strerror(-err))
        else:
            yield ty, off, ln
        off += (ln + 3) & ~3


def vke_echo(args):
    """A vke daemon that answers every request of its service with its
    payload, as fast as it can: fixed offsets, no ACKs."""
    g = Genl("vke")
    g.request(VKE_BIND, attr(1, struct.pack("I", args.service)))
    print("ready", flush=True)
    sock, fam = g.sock, g.id
    while True:
        data = sock.recv(1 << 17)
        for ty, off, ln in netlink_messages(data):
            if ty != fam or data[off + 16] != VKE_MESSAGE_NTF:
                continue
            alen = struct.unpack_from("H", data, off + 20)[0]
            raw = data[off + 24:off + 20 + alen]
            # service @8, key @12, source @20, destination @24, request @28
            service, key, source, _, request = struct.unpack_from(">IQIIQ", raw, 8)
            sublen = struct.unpack_from(">H", raw, 40)[0]
            respond, e = False, HEADER.size
            while e + 4 <= HEADER.size + sublen:
                kind, elen = struct.unpack_from(">HH", raw, e)
                respond |= kind == 0x8002
                e += 4 + ((elen + 3) & ~3)
            if not respond:
                continue
            payload = raw[HEADER.size + sublen:]
            answer = HEADER.pack(0x564B454D, 1, RESPONSE, 0, service, key, 0,
                                 source, request, 0, 0, 0, len(payload)) + payload
            sock.send(nl_send_message(fam, answer))


def vke_client(args, broadcast):
    """Sends requests asking for responses, `window` at a time, each with
    its own id, and times each until its completion (done-ntf)."""
    g = Genl("vke")
    sock, fam = g.sock, g.id
    message = nl_send_message(fam, pack(
        service=args.service, dest=0 if broadcast else args.to,
        broadcast=broadcast, respond=True, deadline=10000,
        payload=b"x" * args.size))
    sent_at, rtts = {}, []
    total, inflight, sent, start = args.count + args.warmup, 0, 0, None
    while len(rtts) < total:
        while sent < total and inflight < args.window:
            sent += 1
            struct.pack_into("I", message, SEQ_AT, sent)
            struct.pack_into(">Q", message, REQUEST_AT, sent)
            sent_at[sent] = time.perf_counter()
            sock.send(message)
            inflight += 1
        data = sock.recv(1 << 17)
        now = time.perf_counter()
        for ty, off, ln in netlink_messages(data):
            if ty != fam or data[off + 16] != VKE_DONE_NTF:
                continue
            # Its first attribute is the request id, 4 or 8 bytes.
            alen = struct.unpack_from("H", data, off + 20)[0]
            req = int.from_bytes(data[off + 24:off + 20 + alen], "little")
            rtts.append((now - sent_at.pop(req)) * 1e6)
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
