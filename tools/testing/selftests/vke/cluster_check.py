#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Scenarios of a vke cluster whose nodes are the given network namespaces
(linked by TIPC already), driven through the vke family by one daemon per
node.

usage: cluster_check.py YNL_DIR SPEC SCENARIO NETNS...

Prints "ok NAME" or "fail NAME: why" per check; exits 1 if any failed.
Scenarios: basic (3+ nodes), netem (2 nodes, lossy links), wide (any number:
a broadcast answered by all), keyed (3 nodes, the first two sharing a key),
unprivileged (2+ nodes, run without CAP_NET_ADMIN), late (2 nodes of a
configured cluster, then a third whose TIPC bearer it enables), unreached
(2+ nodes, the last made with a small tipc_rmem).
"""

import errno
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from vke_nodes import Daemon, in_netns, refusal, wait  # noqa: E402
from vke_wire import JOIN, RESPONSE, entry, pack, registration  # noqa: E402
from ynl_checks import Checks  # noqa: E402

SPEC, SCENARIO, NETNS = sys.argv[2], sys.argv[3], sys.argv[4:]
SERVICE = 7
ANSWERED, TIMEOUT, LEFT, UNSENT = "answered", "timeout", "left", "unsent"
CLUSTER = "vke-selftest"
checks = Checks()
check = checks.check


def nodes_up(daemons):
    """Waits until every node sees every other one as a member."""
    want = len(daemons) - 1
    return wait(lambda: all(len(d.members()) == want for d in daemons), 30, 0.2)


def converse(requester, responders, request, timeout=10):
    """Lets the responders answer until the request is done at the requester;
    returns its completion and the responses it got."""
    def settled():
        for r in responders:
            r.answer()
        requester.poll()
        return request in requester.done
    wait(settled, timeout, 0.02)
    responses = [m for _, m in requester.take_messages()
                 if m["kind"] == RESPONSE and m["request"] == request]
    return requester.done.pop(request, None), responses


def stats(daemon):
    return daemon.node()["stats"]


def own_id_checks(a, c, node_c):
    """Daemon-chosen request ids: shared by two daemons, and reused."""
    # Two daemons of a node number a request alike: the node puts ids of its
    # own on the wire, and each daemon gets its response and completion under
    # the id it chose.
    a2 = Daemon(SPEC, a.netns)
    shared = pack(dest=node_c, service=SERVICE, respond=True, request=4242)
    sent = [a.send(shared), a2.send(shared)]

    def both_done():
        c.answer()
        a.poll()
        a2.poll()
        return 4242 in a.done and 4242 in a2.done
    settled = wait(both_done, 10, 0.02)
    got = [[m["request"] for _, m in d.take_messages() if m["kind"] == RESPONSE]
           for d in (a, a2)]
    done = [d.done.pop(4242, None) for d in (a, a2)]
    a2.close()
    check("shared-request-id", settled and sent == [(None, None)] * 2
          and got == [[4242], [4242]]
          and all(x and x["outcomes"] == {node_c: ANSWERED} for x in done),
          {"sent": sent, "got": got, "done": done})

    # A daemon's own number never clashes with one the node gives it: the node
    # gives k, the daemon numbers a request k + 2 (it goes out as k + 1), and
    # the node's next number skips k + 2.
    k, _ = a.send(pack(dest=node_c, service=SERVICE, respond=True))
    a.send(pack(dest=node_c, service=SERVICE, respond=True, request=k + 2))
    given, _ = a.send(pack(dest=node_c, service=SERVICE, respond=True))
    ids = (k, k + 2, given)

    def all_done():
        c.answer()
        a.poll()
        return all(i in a.done for i in ids)
    settled = wait(all_done, 10, 0.02)
    a.take_messages()
    done = [a.done.pop(i, None) for i in ids]
    check("mixed-request-ids", settled and len(set(ids)) == 3
          and all(d and d["outcomes"] == {node_c: ANSWERED} for d in done),
          {"ids": ids, "done": done})

    # A daemon reuses the id of a request that timed out, to the same node: a
    # late response to the old request does not complete the new one.
    a.send(pack(dest=node_c, service=SERVICE, respond=True, deadline=300,
                request=555))
    old = []
    wait(lambda: old.extend(c.take_messages()) or old, 5)
    first, _ = converse(a, [], 555)
    a.send(pack(dest=node_c, service=SERVICE, respond=True, deadline=5000,
                request=555))
    # C takes the new request before it sends: YNL's `do` cannot read a
    # notification that comes first.
    wait(lambda: c.poll() or c.messages, 5)
    before = stats(a)["unexpected"]
    for sender, m in old:
        c.send(pack(RESPONSE, service=SERVICE, dest=sender,
                    request=m["request"], payload=b"late"))
    late = wait(lambda: stats(a)["unexpected"] == before + 1, 5)
    a.poll()
    early = a.done.get(555)
    second, responses = converse(a, [c], 555)
    check("reused-request-id", len(old) == 1 and first is not None
          and first["outcomes"] == {node_c: TIMEOUT} and late and early is None
          and second is not None and second["outcomes"] == {node_c: ANSWERED}
          and [r["payload"] for r in responses] == [b"pong"],
          {"old": len(old), "first": first, "late": late, "early": early,
           "second": second, "responses": responses})


def all_direct(daemons, want):
    """Whether every node sends to every member the way `want` says (1:
    between direct sockets, 0: through the group)."""
    return all(m["direct"] == want for d in daemons for m in d.members())


def direct_counts(daemons, run):
    """Runs `run`; returns its result and how many messages each daemon's
    node took off its direct socket meanwhile."""
    before = [stats(d)["received-direct"] for d in daemons]
    result = run()
    after = [stats(d)["received-direct"] for d in daemons]
    return result, [y - x for x, y in zip(before, after)]


def exchange(requester, responders, **fields):
    """A request from `requester` answered by `responders`; returns its
    completion."""
    req, _ = requester.send(pack(service=SERVICE, respond=True, **fields))
    return converse(requester, responders, req)[0]


def unicast_direct_checks(daemons, a, b, node_b):
    """Requests and responses go between the direct sockets once the members
    welcomed each other, a broadcast member by member; direct off on one
    node sends what it sends and gets through the group, and makes the
    others' broadcasts go through the group; on again takes them back."""
    c = daemons[2]
    welcomed = wait(lambda: all_direct(daemons, 1), 10)
    port = a.node()["direct-port"]
    (uni, took) = direct_counts(daemons, lambda: exchange(a, [b], dest=node_b))
    (bcast, bcast_took) = direct_counts(daemons, lambda: exchange(a, [b, c], broadcast=True))
    check("unicast-direct", welcomed and port != 0 and a.node()["direct"] == 1
          and uni is not None and uni["outcomes"] == {node_b: ANSWERED}
          and took == [1, 1, 0] and bcast is not None
          and bcast["reason"] == "all-answered" and bcast_took == [2, 1, 1],
          {"welcomed": welcomed, "port": port, "done": [uni, bcast],
           "took": [took, bcast_took], "members": [d.members() for d in daemons]})

    node_a = a.node()["node"]
    a.ynl.do("node-set", {"direct": 0})
    # A's members learn it from A's registration; A stops at once.
    told = wait(lambda: all(m["direct"] == 0 for m in b.members() + c.members()
                            if m["node"] == node_a), 10)
    off = a.node()["direct"] == 0 and all_direct([a], 0)
    # A's own unicasts, one to A (answered -ENOENT by its node: nothing
    # bound there), and B's broadcast, which A would not take directly: all
    # through the group, but C's response to B.
    runs = [direct_counts(daemons, run) for run in (
        lambda: exchange(a, [b], dest=node_b),
        lambda: exchange(b, [], dest=node_a),
        lambda: exchange(b, [a, c], broadcast=True))]
    a.ynl.do("node-set", {"direct": 1})
    again = wait(lambda: all_direct(daemons, 1), 10)
    on = direct_counts(daemons, lambda: exchange(a, [b], dest=node_b))
    check("direct-off", told and off and again
          and all(d is not None and d["reason"] == "all-answered"
                  for d, _ in runs + [on])
          and [t for _, t in runs] == [[0, 0, 0], [0, 0, 0], [0, 1, 0]]
          and on[1] == [1, 1, 0],
          {"told": told, "off": off, "again": again, "runs": runs, "on": on})


def basic(daemons):
    a, b, c = daemons[:3]
    ids = [d.node()["node"] for d in daemons]
    check("members", nodes_up(daemons) and len(set(ids)) == len(ids) and 0 not in ids,
          {"ids": ids, "members": [len(d.members()) for d in daemons]})
    node_a, node_b, node_c = ids[:3]
    for d in (b, c):
        d.bind(SERVICE)
    registration_checks(a, b, c, ids)

    # Unicast with a response.
    req, expected = a.send(pack(dest=node_b, service=SERVICE, respond=True,
                                payload=b"ping"))
    done, responses = converse(a, [b, c], req)
    check("unicast", expected == 1 and done is not None
          and done["reason"] == "all-answered"
          and done["outcomes"] == {node_b: ANSWERED}
          and len(responses) == 1 and responses[0]["payload"] == b"pong"
          and responses[0]["source"] == node_b,
          {"expected": expected, "done": done, "responses": responses})
    unicast_direct_checks(daemons, a, b, node_b)

    # Unicast without a response: the request still gets an id, and reaches
    # B's daemon alone, with A as its source.
    req, expected = a.send(pack(dest=node_b, service=SERVICE, payload=b"note"))
    got = []
    wait(lambda: got.extend(b.take_messages()) or got, 5)
    check("unicast-no-response", expected == 0 and req > 0 and len(got) == 1
          and got[0][0] == node_a and got[0][1]["source"] == node_a
          and got[0][1]["request"] == req and got[0][1]["payload"] == b"note"
          and not c.take_messages(),
          {"req": req, "expected": expected, "got": got})

    # Broadcast with a response from every other node.
    req, expected = a.send(pack(broadcast=True, service=SERVICE, respond=True))
    done, responses = converse(a, daemons[1:], req)
    want = {n: ANSWERED for n in ids[1:]}
    check("broadcast", expected == len(ids) - 1 and done is not None
          and done["outcomes"] == want and len(responses) == len(ids) - 1
          and sorted(r["source"] for r in responses) == sorted(ids[1:]),
          {"expected": expected, "done": done, "responses": len(responses)})

    # A service nobody serves is answered -ENOENT by the node itself.
    before = stats(c)["unbound"]
    req, _ = a.send(pack(dest=node_c, service=99, respond=True))
    done, responses = converse(a, [], req)
    check("unbound", done is not None and done["outcomes"] == {node_c: ANSWERED}
          and len(responses) == 1 and responses[0]["status"] == -errno.ENOENT
          and stats(c)["unbound"] == before + 1,
          {"done": done, "responses": responses})

    # A silent responder times out at the deadline; the others answered.
    start = time.monotonic()
    req, _ = a.send(pack(broadcast=True, service=SERVICE, respond=True,
                         deadline=800))
    done, responses = converse(a, [d for d in daemons[1:] if d is not c], req)
    took = time.monotonic() - start
    want = {n: ANSWERED for n in ids[1:]}
    want[node_c] = TIMEOUT
    check("deadline", done is not None and done["reason"] == "deadline"
          and done["outcomes"] == want and 0.75 <= took < 3,
          {"done": done, "took": took})
    c.take_messages()  # the request it did not answer

    # A daemon may number its own requests: no reply then; a second request
    # with the id of a pending one is refused.
    mine = pack(dest=node_c, service=SERVICE, respond=True, deadline=1000,
                request=777)
    sent = a.send(mine)
    again = refusal(lambda: a.send(mine))
    done, _ = converse(a, [], 777)
    check("own-request-id", sent == (None, None) and again is not None
          and again[0] == errno.EEXIST and done is not None
          and done["outcomes"] == {node_c: TIMEOUT},
          {"sent": sent, "again": again, "done": done})
    c.take_messages()
    own_id_checks(a, c, node_c)

    # A late response is unexpected, counted and dropped.
    before = stats(a)["unexpected"]
    c.send(pack(RESPONSE, service=SERVICE, dest=node_a, request=req))
    late = wait(lambda: stats(a)["unexpected"] == before + 1, 5)
    check("late-response", late and not a.take_messages(), stats(a))

    wait_checks(a, b, node_b)
    daemon_checks(a, b, node_a, node_b)
    peer_checks(a, c, node_a, node_c, [b, c])

    # A daemon that closes its socket loses its services and its pending
    # requests at once, before any message comes for it; a request for the
    # service is then answered -ENOENT by its node.
    b.send(pack(dest=node_c, service=SERVICE, respond=True, deadline=60000))
    wait(lambda: c.take_messages(), 5)
    b.close()
    gone = Daemon(SPEC, b.netns)

    def released():
        node = gone.node()
        return (node["stats"]["daemons-gone"] == 1 and not node.get("service")
                and node["pending"] == 0)
    at_once = wait(released, 5)
    req, _ = a.send(pack(dest=node_b, service=SERVICE, respond=True))
    done, responses = converse(a, [], req)
    check("daemon-gone", at_once and done is not None and len(responses) == 1
          and responses[0]["status"] == -errno.ENOENT
          and stats(gone)["daemons-gone"] == 1,
          {"at_once": at_once, "done": done, "responses": responses,
           "node": gone.node()})
    gone.close()

    # A node that leaves in the middle of a broadcast fails it there at once,
    # long before the deadline.
    start = time.monotonic()
    req, _ = a.send(pack(broadcast=True, service=SERVICE, respond=True,
                         deadline=60000))
    wait(lambda: c.take_messages(), 5)
    c.close()
    subprocess.run(["ip", "netns", "del", c.netns], check=True)
    done, _ = converse(a, [], req, timeout=30)
    took = time.monotonic() - start
    check("member-left", done is not None and done["reason"] == "all-answered"
          and done["outcomes"].get(node_c) == LEFT and took < 20,
          {"done": done, "took": took})
    s = stats(a)
    check("nothing-pending", s["duplicates"] == 0 and a.node()["pending"] == 0, s)


def registration_checks(a, b, c, ids):
    """Every node knows the others' status, and the configuration one node
    sets reaches all and takes effect."""
    node_a, node_b, node_c = ids

    def served(d):
        return {m["node"]: m.get("service", []) for m in d.members()}
    ok = wait(lambda: served(a) == {node_b: [SERVICE], node_c: [SERVICE]}, 10)
    check("member-status", ok and all(m["members"] == 2 for m in a.members()),
          {"a": a.members()})

    set_ = a.configure(name=CLUSTER, deadline=900)
    want = {"name": CLUSTER, "deadline": 900, "generation": 1, "origin": node_a}
    ok = wait(lambda: all(d.node()["config"] == want for d in (a, b, c)), 10)
    check("config-set", set_ == want and ok
          and stats(b)["config-changes"] == 1,
          {"set": set_, "configs": [d.node()["config"] for d in (a, b, c)]})

    # B's request with no deadline of its own waits the cluster's 900 ms.
    start = time.monotonic()
    req, _ = b.send(pack(dest=node_c, service=SERVICE, respond=True))
    done, _ = converse(b, [], req)
    took = time.monotonic() - start
    c.take_messages()
    check("config-deadline", done is not None and done["reason"] == "deadline"
          and 0.85 <= took < 3, {"done": done, "took": took})

    bad = {
        "zero-deadline": ({"deadline": 0}, errno.EINVAL, "deadline"),
        "nothing": ({}, errno.EINVAL, "name or a deadline"),
        "long-name": ({"name": "n" * 32}, errno.EINVAL, "policy"),
    }
    for name, (attrs, want_errno, text) in bad.items():
        got = refusal(lambda: a.configure(**attrs))
        check(f"config-refuse-{name}", got is not None and got[0] == want_errno
              and (text is None or text in (got[1] or "")), got)
    check("config-kept", a.node()["config"]["generation"] == 1, a.node()["config"])


def in_thread(fn):
    """Starts fn() in a thread; returns the thread."""
    t = threading.Thread(target=fn)
    t.start()
    return t


def wait_checks(a, b, node_b):
    """Daemons that wait in the node (`wait`, send's `wait`): the node
    receives in their context. B serves SERVICE. The counters are read
    through other sockets: YNL's do() cannot read a notification that comes
    before its reply."""
    seen = {d: Daemon(SPEC, d.netns) for d in (a, b)}

    def stats_of(d):
        return stats(seen[d])
    a.poll()
    b.poll()
    took = a.wait_in_node(300)
    a.poll()
    check("wait-timeout", 0.28 <= took < 0.9 and not a.messages,
          {"took": took, "messages": a.messages})

    # Something is queued already: the wait returns at once.
    before = stats_of(b)["delivered"]
    a.send(pack(dest=node_b, service=SERVICE, payload=b"queued"))
    queued = wait(lambda: stats_of(b)["delivered"] == before + 1, 5)
    took = b.wait_in_node(1000)
    got = [m["payload"] for _, m in b.take_messages()]
    check("wait-queued", queued and took < 0.5 and got == [b"queued"],
          {"queued": queued, "took": took, "got": got})

    # B waits; a request comes: B's wait returns with it, the node having
    # received it in B's context.
    in_wait = stats_of(b)["received-in-wait"]
    took = []
    t = in_thread(lambda: took.append(b.wait_in_node(1000)))
    time.sleep(0.2)
    req, _ = a.send(pack(dest=node_b, service=SERVICE, respond=True))
    t.join()
    b.poll()
    got = [m["request"] for _, m in b.messages]
    done, _ = converse(a, [b], req)
    check("wait-request", took and 0.1 < took[0] < 0.9 and got == [req]
          and stats_of(b)["received-in-wait"] > in_wait
          and done is not None and done["outcomes"] == {node_b: ANSWERED},
          {"took": took, "got": got, "done": done, "stats": stats_of(b)})

    # A sends with the wait attribute while B waits to answer: A's send
    # returns with the response and the completion queued.
    in_wait = stats_of(a)["received-in-wait"]
    t = in_thread(lambda: (b.wait_in_node(1000), b.answer()))
    time.sleep(0.2)
    took = a.wait_in_node(1000, pack(dest=node_b, service=SERVICE,
                                     respond=True, request=901))
    a.poll()
    t.join()
    done = a.done.pop(901, None)
    responses = [m["payload"] for _, m in a.take_messages()]
    check("send-wait", took < 0.9 and done is not None
          and done["outcomes"] == {node_b: ANSWERED} and responses == [b"pong"]
          and stats_of(a)["received-in-wait"] > in_wait,
          {"took": took, "done": done, "responses": responses, "stats": stats_of(a)})

    too_long = refusal(lambda: a.ynl.do("wait", {"wait": 5000}))
    check("wait-refused", too_long is not None and too_long[0] == errno.ERANGE,
          too_long)
    for d in seen.values():
        d.close()


def daemon_checks(a, b, node_a, node_b):
    """Bad input from a daemon is refused with its reason, and changes
    nothing."""
    before = stats(a)["sent"]
    good = pack(dest=node_b, service=SERVICE)
    cases = {
        "bad-magic": (b"XXXX" + good[4:], errno.EINVAL, "bad magic"),
        "bad-version": (pack(dest=node_b, version=9), errno.EINVAL, "version"),
        "truncated": (good[:40], errno.EINVAL, "truncated"),
        "trailing": (good + b"x", errno.EINVAL, "longer than its header"),
        "unknown-mandatory": (pack(dest=node_b, entries=entry(0x8077)),
                              errno.EINVAL, "unknown mandatory"),
        "broadcast-with-destination": (pack(dest=node_b, broadcast=True),
                                       errno.EINVAL, "destination"),
        "response-without-request": (pack(RESPONSE, dest=node_b),
                                     errno.EINVAL, "contradict"),
        "join-from-daemon": (pack(3, dest=node_b), errno.EINVAL,
                             "requests and responses only"),
        "not-a-member": (pack(dest=0x7777), errno.EHOSTUNREACH, "not a member"),
    }
    for name, (raw, want, text) in cases.items():
        got = refusal(lambda: a.send(raw))
        check(f"refuse-{name}", got is not None and got[0] == want
              and text in (got[1] or ""), got)
    oversize = pack(dest=node_b, payload=b"x" * 65025)
    got = refusal(lambda: a.send(oversize))
    check("refuse-oversize", got is not None and got[0] in (errno.EINVAL, errno.ERANGE), got)
    check("refused-sent-nothing", stats(a)["sent"] == before, stats(a))
    other = Daemon(SPEC, b.netns)
    got = refusal(lambda: other.bind(SERVICE))
    check("bind-busy", got is not None and got[0] == errno.EBUSY, got)
    got = refusal(lambda: other.unbind(SERVICE))
    check("unbind-not-served", got is not None and got[0] == errno.ENOENT, got)
    other.close()


def peer_checks(a, c, node_a, node_c, responders):
    """Bad messages from a member of the group, off the wire, are refused and
    counted by reason; a member that is not a vke node is not admitted."""
    port_a = next(m["port"] for m in c.members() if m["node"] == node_a)

    def run():
        sock = socket.socket(socket.AF_TIPC, socket.SOCK_RDM)
        # TIPC_GROUP_JOIN: type, instance, scope (cluster), flags.
        sock.setsockopt(271, 135, struct.pack("IIII", 0x564B4500, 9, 2, 0))
        # A sees it join before it takes its messages.
        wait(lambda: any(m["node"] == node_c and m["port"] != port_c
                         for m in a.members()), 10)
        # Python orders a TIPC socket address as node, then port.
        to = (socket.TIPC_ADDR_ID, node_a, port_a, 0)
        good = pack(dest=node_a, source=node_c, service=SERVICE)

        def first():
            # Until this member's side of the join completes, A is unknown.
            try:
                sock.sendto(b"XXXX" + good[4:], to)           # malformed
            except OSError as e:
                if e.errno != errno.EHOSTUNREACH:
                    raise
                return False
            return True
        if not wait(first, 10):
            raise OSError(errno.EHOSTUNREACH, "A's member never reachable")
        sock.sendto(good[:30], to)                            # malformed
        sock.sendto(pack(dest=node_a, source=node_a), to)     # spoofed
        sock.sendto(pack(dest=node_c, source=node_c), to)     # misaddressed
        sock.sendto(good + b"z", to)                         # malformed
        sock.sendto(good, to)                                 # not admitted
        # Its node has a member admitted: its registration is refused.
        sock.sendto(pack(JOIN, dest=node_a, source=node_c, service=0,
                         payload=registration()), to)
        return sock
    port_c = next(m["port"] for m in a.members() if m["node"] == node_c)
    port_b = next(m["port"] for m in a.members() if m["node"] != node_c)
    before = stats(a)
    sock = in_netns(c.netns, run)
    counted = wait(lambda: stats(a)["refused-malformed"] == before["refused-malformed"] + 3
                   and stats(a)["refused-spoofed"] == before["refused-spoofed"] + 1
                   and stats(a)["refused-misaddressed"] == before["refused-misaddressed"] + 1,
                   10)
    check("refuse-from-peer", counted and not a.take_messages(),
          {"before": before, "after": stats(a)})
    admitted = wait(lambda: stats(a)["refused-not-member"] == before["refused-not-member"] + 1
                    and stats(a)["refused-duplicate"] == before["refused-duplicate"] + 1, 10)
    strangers = [m for m in a.members(None) if m["port"] not in (port_b, port_c)]
    # A broadcast expects the admitted nodes only.
    req, expected = a.send(pack(broadcast=True, service=SERVICE, respond=True))
    done, _ = converse(a, responders, req)
    check("stranger-not-admitted", admitted and len(strangers) == 1
          and strangers[0]["state"] == "joining" and expected == 2
          and done is not None and done["reason"] == "all-answered"
          and not a.take_messages(),
          {"stats": stats(a), "strangers": strangers, "expected": expected,
           "done": done})
    sock.close()

    # A's direct socket takes the direct socket its member named, no other:
    # a socket of C's node outside the group is refused, and a registration
    # there is misaddressed (they travel in the group).
    to = (socket.TIPC_ADDR_ID, node_a, a.node()["direct-port"], 0)

    def send_direct():
        with socket.socket(socket.AF_TIPC, socket.SOCK_RDM) as s:
            s.sendto(pack(dest=node_a, source=node_c, service=SERVICE), to)
            s.sendto(pack(JOIN, dest=node_a, source=node_c, service=0,
                          payload=registration()), to)
    before = stats(a)
    in_netns(c.netns, send_direct)
    refused = wait(lambda: stats(a)["refused-not-member"] == before["refused-not-member"] + 1
                   and stats(a)["refused-misaddressed"]
                   == before["refused-misaddressed"] + 1, 10)
    check("refuse-direct-stranger", refused and not a.take_messages()
          and stats(a)["received-direct"] == before["received-direct"],
          {"before": before, "after": stats(a)})


def netem(daemons):
    """Over lossy, reordering, duplicating links every request is answered
    exactly once."""
    a, b = daemons
    check("members", nodes_up(daemons), [d.members() for d in daemons])
    node_b = b.node()["node"]
    b.bind(SERVICE)
    # Between namespaces of one kernel, TIPC hands a message between direct
    # sockets to the peer's socket without the link or the veths: through
    # the group, requests and responses cross the lossy links.
    for d in daemons:
        d.ynl.do("node-set", {"direct": 0})
    wait(lambda: all_direct(daemons, 0), 10)
    count, answered, outcomes = 200, {}, []
    for i in range(count):
        req, _ = a.send(pack(dest=node_b, service=SERVICE, respond=True,
                             payload=struct.pack(">I", i)))
        done, responses = converse(a, [b], req, timeout=20)
        answered[req] = len(responses)
        outcomes.append(done and done["outcomes"].get(node_b))
    s = stats(a)
    check("netem-exactly-once", all(n == 1 for n in answered.values())
          and len(answered) == count and outcomes.count(ANSWERED) == count
          and s["duplicates"] == 0 and s["unexpected"] == 0
          and s["received-direct"] == 0 and stats(b)["received-direct"] == 0,
          {"not-once": [r for r, n in answered.items() if n != 1],
           "outcomes": [o for o in outcomes if o != ANSWERED], "stats": s})


def wide(daemons):
    """Every node answers a broadcast."""
    check("members", nodes_up(daemons), [len(d.members()) for d in daemons])
    ids = [d.node()["node"] for d in daemons]
    for d in daemons[1:]:
        d.bind(SERVICE)
    req, expected = daemons[0].send(pack(broadcast=True, service=SERVICE,
                                         respond=True))
    done, responses = converse(daemons[0], daemons[1:], req, timeout=20)
    check("wide-broadcast", expected == len(ids) - 1 and done is not None
          and done["outcomes"] == {n: ANSWERED for n in ids[1:]}
          and len(responses) == len(ids) - 1,
          {"expected": expected, "done": done, "responses": len(responses)})


def unprivileged(daemons):
    """Run without CAP_NET_ADMIN: reading works, what changes state fails."""
    a, b = daemons[:2]
    node_b = b.node()["node"]
    check("unprivileged-read", a.node()["node"] != 0 and len(a.members()) >= 1, a.node())
    bind = refusal(lambda: a.bind(SERVICE))
    send = refusal(lambda: a.send(pack(dest=node_b, service=SERVICE)))
    wait_ = refusal(lambda: a.ynl.do("wait", {"wait": 10}))
    direct = refusal(lambda: a.ynl.do("node-set", {"direct": 0}))
    check("unprivileged-change", bind is not None and bind[0] == errno.EPERM
          and send is not None and send[0] == errno.EPERM
          and wait_ is not None and wait_[0] == errno.EPERM
          and direct is not None and direct[0] == errno.EPERM
          and a.node()["direct"] == 1,
          {"bind": bind, "send": send, "wait": wait_, "direct": direct})


def keyed(daemons):
    """Nodes 0 and 1 share TIPC's cluster key, node 2 has none: the cluster
    is the keyed two."""
    a, b, c = daemons
    ids = [d.node()["node"] for d in daemons]
    ok = wait(lambda: [m["node"] for m in a.members()] == [ids[1]]
              and [m["node"] for m in b.members()] == [ids[0]], 30, 0.2)
    time.sleep(3)
    check("keyed-members", ok and not c.members()
          and [m["node"] for m in a.members()] == [ids[1]],
          {"ids": ids, "members": [d.members() for d in daemons]})
    b.bind(SERVICE)
    c.bind(SERVICE)
    req, expected = a.send(pack(broadcast=True, service=SERVICE, respond=True))
    done, responses = converse(a, [b, c], req)
    outsider = refusal(lambda: c.send(pack(dest=ids[0], service=SERVICE)))
    check("keyed-broadcast", expected == 1 and done is not None
          and done["outcomes"] == {ids[1]: ANSWERED} and len(responses) == 1
          and not c.take_messages() and outsider is not None
          and outsider[0] == errno.EHOSTUNREACH,
          {"expected": expected, "done": done, "outsider": outsider})


def late(daemons):
    """A node that joins a configured cluster is handed the configuration
    and the status of every member."""
    a, b, late_node = daemons
    ids = [d.node()["node"] for d in (a, b)]
    check("late-members", wait(lambda: len(a.members()) == 1 and len(b.members()) == 1, 30),
          [a.members(), b.members()])
    b.bind(SERVICE)
    set_ = a.configure(name=CLUSTER, deadline=1200)
    # A daemon waits in the node on every node meanwhile: the member events
    # are drained in its context, and the Joins they make due must still go.
    stop = threading.Event()
    waiters = [Daemon(SPEC, d.netns) for d in (a, b, late_node)]

    def waiting(w):
        while not stop.is_set():
            w.wait_in_node(300)
    threads = [in_thread(lambda w=w: waiting(w)) for w in waiters]
    subprocess.run(["ip", "netns", "exec", late_node.netns, "tipc", "bearer",
                    "enable", "media", "eth", "device", "eth0"], check=True)
    joined = wait(lambda: sorted(m["node"] for m in late_node.members()) == sorted(ids), 30)
    served = {m["node"]: m.get("service", []) for m in late_node.members()}
    in_wait = stats(late_node)["received-in-wait"]
    stop.set()
    for t in threads:
        t.join()
    for w in waiters:
        w.close()
    check("late-join", joined and late_node.node()["config"] == set_
          and served == {ids[0]: [], ids[1]: [SERVICE]}
          and all(len(d.members()) == 2 for d in (a, b)) and in_wait > 0,
          {"members": late_node.members(), "config": late_node.node()["config"],
           "set": set_, "received-in-wait": in_wait})


def unreached(daemons):
    """The last node's sockets take little (tipc_rmem was small when its
    namespace was made): a request too big for its queue comes back to the
    sender's direct socket, and the sender fails that node at once instead of
    at the deadline; small requests still reach it."""
    a, responders, small = daemons[0], daemons[1:-1], daemons[-1]
    node_small = small.node()["node"]
    ids = [d.node()["node"] for d in responders]
    for d in responders + [small]:
        d.bind(SERVICE)
    welcomed = wait(lambda: all_direct(daemons, 1)
                    and all(len(d.members()) == len(daemons) - 1 for d in daemons), 30)
    fits = exchange(a, [small], dest=node_small)
    before = stats(a)["unsent"]
    # One TIPC packet (no fragments), more than the small node's sockets take.
    big = b"x" * 1300
    start = time.monotonic()
    bcast = exchange(a, responders, broadcast=True, payload=big, deadline=8000)
    bcast_s = time.monotonic() - start
    start = time.monotonic()
    uni = exchange(a, [], dest=node_small, payload=big, deadline=8000)
    uni_s = time.monotonic() - start
    leftover = small.take_messages()
    check("unreached", welcomed and fits is not None
          and fits["outcomes"] == {node_small: ANSWERED}
          and bcast is not None and bcast["reason"] == "all-answered"
          and bcast["outcomes"] == {**{n: ANSWERED for n in ids}, node_small: UNSENT}
          and uni is not None and uni["reason"] == "all-answered"
          and uni["outcomes"] == {node_small: UNSENT}
          and bcast_s < 4 and uni_s < 4 and stats(a)["unsent"] == before + 2
          and not leftover,
          {"welcomed": welcomed, "fits": fits, "done": [bcast, uni],
           "seconds": [bcast_s, uni_s], "unsent": [before, stats(a)["unsent"]],
           "leftover": len(leftover), "members": a.members()})


if __name__ == "__main__":
    nodes = [Daemon(SPEC, ns) for ns in NETNS]
    {"basic": basic, "netem": netem, "wide": wide, "keyed": keyed,
     "unprivileged": unprivileged, "late": late, "unreached": unreached}[SCENARIO](nodes)
    sys.exit(checks.exit_code())
