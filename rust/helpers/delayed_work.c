// SPDX-License-Identifier: GPL-2.0

#include <linux/workqueue.h>

void rust_helper_init_delayed_work(struct delayed_work *dwork, work_func_t func)
{
	INIT_DELAYED_WORK(dwork, func);
}

bool rust_helper_mod_delayed_work(struct workqueue_struct *wq,
				  struct delayed_work *dwork,
				  unsigned long delay)
{
	return mod_delayed_work(wq, dwork, delay);
}

bool rust_helper_queue_delayed_work(struct workqueue_struct *wq,
				    struct delayed_work *dwork,
				    unsigned long delay)
{
	return queue_delayed_work(wq, dwork, delay);
}
