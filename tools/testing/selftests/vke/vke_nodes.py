# SPDX-License-Identifier: GPL-2.0
"""Daemons of vke nodes for the selftests, driven from one Python process
(Python starts slowly under TCG): one YNL socket per network namespace, each
a daemon of that namespace's node, built from the family's YAML spec alone.

VKE messages are packed by vke_wire.py.
"""

import ctypes
import os
import struct
import time

from lib import NlError, YnlFamily  # the kernel's YNL library, on sys.path
from vke_wire import REQUEST, RESPONSE, pack, unpack

CLONE_NEWNET = 0x40000000
NLM_F_ACK = 0x4

_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(name, fn):
    """Runs fn() in network namespace `name` (None: the current one); the
    sockets it opens stay in that namespace."""
    if name is None:
        return fn()
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            return fn()
        finally:
            _libc.setns(own, CLONE_NEWNET)
    finally:
        os.close(own)
        os.close(target)


class Daemon:
    """A daemon of the node of one namespace."""

    def __init__(self, spec, netns=None):
        self.netns = netns
        self.ynl = in_netns(netns, lambda: YnlFamily(spec, schema=""))
        self.messages = []   # message-ntf: (from, fields)
        self.done = {}       # done-ntf by request: {"reason", "outcomes"}

    def close(self):
        self.ynl.sock.close()

    def node(self):
        return self.ynl.do("node-get", {})

    def members(self, state="up"):
        """The members in `state` (None: all of them)."""
        return [m for m in self.ynl.dump("member-get", {})
                if state is None or m["state"] == state]

    def configure(self, **attrs):
        return self.ynl.do("cluster-set", attrs)

    def bind(self, service):
        self.ynl.do("bind", {"service": service})

    def unbind(self, service):
        self.ynl.do("unbind", {"service": service})

    def send(self, raw):
        """Sends a message; returns the request id and responses expected
        when the node chose the id, None otherwise (no reply comes)."""
        reply = self.ynl.do("send", {"message": raw})
        if reply is None:
            return None, None
        return reply["request"], reply["expected"]

    def wait_in_node(self, ms=None, message=None):
        """Waits in the node, which receives for this daemon meanwhile: vke's
        wait, or with `message` a send with the wait attribute. It goes out
        without an ACK, as YNL's do() cannot read the notifications that come
        before one; poll() then takes them. Returns the seconds it took."""
        vals = {} if message is None else {"message": message}
        if ms is not None:
            vals["wait"] = ms
        op = self.ynl.ops["wait" if message is None else "send"]
        msg = bytearray(self.ynl._encode_message(op, vals, [], 1))
        flags = struct.unpack_from("=H", msg, 6)[0]
        struct.pack_into("=H", msg, 6, flags & ~NLM_F_ACK)
        start = time.monotonic()
        self.ynl.sock.send(bytes(msg), 0)
        return time.monotonic() - start

    def poll(self):
        """Takes the notifications queued on the socket."""
        self.ynl.check_ntf()
        while self.ynl.async_msg_queue:
            ntf = self.ynl.async_msg_queue.pop(0)
            msg = ntf["msg"]
            if ntf["name"] == "message-ntf":
                self.messages.append((msg["from"], unpack(msg["message"])))
            elif ntf["name"] == "done-ntf":
                outcomes = {r["node"]: r["outcome"]
                            for r in msg.get("responder", [])}
                self.done[msg["request"]] = {"reason": msg["reason"],
                                             "outcomes": outcomes}

    def take_messages(self):
        self.poll()
        taken, self.messages = self.messages, []
        return taken

    def answer(self, status=0, payload=b"pong"):
        """Answers every request received; returns how many."""
        n = 0
        for sender, m in self.take_messages():
            if m["kind"] != REQUEST:
                continue
            self.send(pack(RESPONSE, service=m["service"], dest=sender,
                           request=m["request"], status=status,
                           payload=payload))
            n += 1
        return n


def wait(predicate, timeout, step=0.05):
    """Polls predicate() until it is true or timeout seconds passed."""
    end = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(step)


def refusal(fn):
    """Runs a request that should be refused; returns its errno and extack
    message, or None if it was accepted."""
    try:
        fn()
    except NlError as e:
        return e.error, (e.nl_msg.extack or {}).get("msg")
    return None
