// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module that provokes the kernel reports the test harness must
 * catch: a WARN, a KASAN out-of-bounds read, or a kmemleak leak. It is loaded
 * only by the harness self-test, never by the project's suites.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *mode = "clean";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "report to provoke: clean (none), warn, kasan or leak");

#define LEAKED_OBJECTS 32
static void *leaked;

static int __init ksft_splat_init(void)
{
	int i;

	if (!strcmp(mode, "clean")) {
		/* Nothing: the harness must report this one as passed. */
	} else if (!strcmp(mode, "warn")) {
		WARN(1, "ksft_splat: deliberate warning\n");
	} else if (!strcmp(mode, "kasan")) {
		volatile char *buf = kmalloc(16, GFP_KERNEL);

		if (!buf)
			return -ENOMEM;
		pr_info("ksft_splat: reading past a 16-byte object: %d\n", buf[16]);
		kfree((void *)buf);
	} else if (!strcmp(mode, "leak")) {
		/*
		 * Lose the only reference to each object. A stale copy of a
		 * pointer (a register spill on a cached stack) can hide an
		 * object from kmemleak, so leak many, as kmemleak-test does.
		 */
		for (i = 0; i < LEAKED_OBJECTS; i++)
			WRITE_ONCE(leaked, kmalloc(128, GFP_KERNEL));
		WRITE_ONCE(leaked, NULL);
	} else {
		return -EINVAL;
	}
	return 0;
}

static void __exit ksft_splat_exit(void)
{
}

module_init(ksft_splat_init);
module_exit(ksft_splat_exit);
MODULE_DESCRIPTION("Provokes kernel reports for the harness self-test");
MODULE_LICENSE("GPL");
