# SPDX-License-Identifier: GPL-2.0
"""Helpers of the project's YNL-driven checks (vnic_failover/ynl_check.py,
irq_balancer/table_check.py): each check prints "ok NAME" or "fail NAME: why",
and the script exits 1 if any failed; refused requests give their extack."""

from lib import NlError  # the kernel's YNL library, on sys.path already


class Checks:
    """Named checks, printed as they are made."""

    def __init__(self):
        self.failed = False

    def check(self, name, ok, why):
        print(f"ok {name}" if ok else f"fail {name}: {why}")
        self.failed |= not ok

    def exit_code(self):
        return 1 if self.failed else 0


def refusal(request):
    """Runs a request that should be refused; returns its errno and extack,
    or None if it was accepted."""
    try:
        request()
    except NlError as e:
        return {"errno": e.error, **(e.nl_msg.extack or {})}
    return None
