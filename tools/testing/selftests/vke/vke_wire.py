# SPDX-License-Identifier: GPL-2.0
"""VKE messages packed from Documentation/networking/vke.rst, not from the
module's code, so the tests check the module against the document; shared by
the selftests and the benchmark."""

import struct

MAGIC = 0x564B454D
REQUEST, RESPONSE, JOIN, WELCOME = 1, 2, 3, 4
BROADCAST, RESPONSE_REQUESTED, DEADLINE_MS = 0x8001, 0x8002, 0x0003
HEADER = struct.Struct(">IBBHIQIIQiHHI")


def entry(kind, value=b""):
    """A sub-header entry: type, length, value padded to 4 bytes."""
    pad = (4 - len(value) % 4) % 4
    return struct.pack(">HH", kind, len(value)) + value + b"\0" * pad


def pack(kind=REQUEST, service=1, dest=0, request=0, status=0, key=0,
         broadcast=False, respond=False, deadline=None, payload=b"",
         source=0, entries=b"", version=1, flags=0):
    """A VKE message."""
    sub = b""
    if broadcast:
        sub += entry(BROADCAST)
    if respond:
        sub += entry(RESPONSE_REQUESTED)
    if deadline is not None:
        sub += entry(DEADLINE_MS, struct.pack(">I", deadline))
    sub += entries
    head = HEADER.pack(MAGIC, version, kind, flags, service, key, source, dest,
                       request, status, len(sub), 0, len(payload))
    return head + sub + payload


def unpack(raw):
    """The header fields and payload of a VKE message from the kernel."""
    (_, _, kind, _, service, key, source, dest, request, status, sublen, _,
     paylen) = HEADER.unpack_from(raw)
    return {"kind": kind, "service": service, "key": key, "source": source,
            "dest": dest, "request": request, "status": status,
            "payload": raw[HEADER.size + sublen:HEADER.size + sublen + paylen]}


def registration(generation=0, origin=0, deadline=5000, name=b"", epoch=0,
                 members=0, services=(), direct_port=0, takes_direct=False):
    """The payload of a join or welcome: the sender's configuration, then
    its status, the port of its direct socket (0: none) and whether it
    takes daemons' messages there."""
    return (struct.pack(">QII32sQHHII", generation, origin, deadline, name,
                        epoch, members, len(services), direct_port,
                        int(takes_direct))
            + b"".join(struct.pack(">I", s) for s in services))
