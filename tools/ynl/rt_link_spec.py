#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the kernel's rt_link.yaml with the vnic_failover kind added, so that
the kernel's YNL CLI decodes a vNIC's IFLA_INFO_DATA and a member's
IFLA_INFO_SLAVE_DATA:

  tools/ynl/rt_link_spec.py $KSRC/Documentation/netlink/specs/rt_link.yaml \\
      Documentation/netlink/specs/vnic_failover.yaml /tmp/rt_link.yaml
  $KSRC/tools/net/ynl/cli.py --spec /tmp/rt_link.yaml --do getlink \\
      --json '{"ifname": "vnic0"}'

An in-tree kind gets its attributes in rt_link.yaml itself; an out-of-tree
module cannot change that file, so this takes them from the module's own
generic netlink spec, where the vNIC and member attributes already have their
numbers: IFLA_INFO_DATA carries the `vnic` set's attributes but those the
interface message already has (index, name) or that are per event or per
member, and IFLA_INFO_SLAVE_DATA the `member` set's but index and name.
"""

import sys

import yaml

KIND = "vnic_failover"
PREFIX = "vnic-failover-"
# Attributes the rtnetlink messages do not carry.
LEFT_OUT = {"vnic": {"ifindex", "name", "previous", "member"}, "member": {"ifindex", "name"}}


def numbered(attrs):
    """Gives every attribute its explicit value (YNL numbers from 1 on)."""
    value = 0
    for attr in attrs:
        value = attr.get("value", value + 1)
        yield value, attr


def link_set(genl, name, enums):
    src = next(s for s in genl["attribute-sets"] if s["name"] == name)
    attrs = []
    for value, attr in numbered(src["attributes"]):
        if attr["name"] in LEFT_OUT[name]:
            continue
        attr = {k: v for k, v in attr.items() if k != "checks"}
        attr["value"] = value
        if "enum" in attr:
            attr["enum"] = PREFIX + attr["enum"]
            enums.add(attr["enum"][len(PREFIX):])
        attrs.append(attr)
    return {"name": f"linkinfo-{PREFIX}{name}-attrs", "attributes": attrs}


def merge(rt_link, genl):
    enums = set()
    data = link_set(genl, "vnic", enums)
    member = link_set(genl, "member", enums)
    for d in genl.get("definitions", []):
        if d["name"] in enums:
            rt_link["definitions"].append({**d, "name": PREFIX + d["name"]})
    rt_link["attribute-sets"] += [data, member]
    for sub in rt_link["sub-messages"]:
        target = {"linkinfo-data-msg": data, "linkinfo-member-data-msg": member}.get(sub["name"])
        if target:
            sub["formats"].append({"value": KIND, "attribute-set": target["name"]})
    return rt_link


def write(rt_link_path, genl_path, out):
    """Writes the merged spec of the two files to the open file `out`."""
    with open(rt_link_path) as f:
        # YNL wants the licence line, a comment that YAML does not keep.
        licence = f.readline()
        f.seek(0)
        rt_link = yaml.safe_load(f)
    with open(genl_path) as f:
        genl = yaml.safe_load(f)
    out.write(licence)
    yaml.safe_dump(merge(rt_link, genl), out, sort_keys=False)
    out.flush()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    with open(sys.argv[3], "w") as out:
        write(sys.argv[1], sys.argv[2], out)


if __name__ == "__main__":
    main()
