// SPDX-License-Identifier: GPL-2.0
/*
 * Non-trivial C macros cannot be used in Rust. Similarly, inlined C functions
 * cannot be called either. This file explicitly creates functions ("helpers")
 * that wrap those so that they can be called from Rust.
 *
 * Sorted alphabetically.
 */

#include "blk.c"
#include "bug.c"
#include "build_assert.c"
#include "build_bug.c"
#include "cpumask.c"
#include "delayed_work.c"
#include "err.c"
#include "etherdevice.c"
#include "genetlink.c"
#include "inet.c"
#include "irq.c"
#include "kunit.c"
#include "mutex.c"
#include "netlink.c"
#include "netdevice.c"
#include "notifier.c"
#include "page.c"
#include "rbtree.c"
#include "rcu.c"
#include "refcount.c"
#include "signal.c"
#include "skbuff.c"
#include "slab.c"
#include "socket.c"
#include "spinlock.c"
#include "sysfs.c"
#include "task.c"
#include "uaccess.c"
#include "vmalloc.c"
#include "wait.c"
#include "workqueue.c"
