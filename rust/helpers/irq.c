// SPDX-License-Identifier: GPL-2.0

#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kernel_stat.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/topology.h>

/*
 * The CPUs line @irq is set to, as /proc/irq/N/smp_affinity shows them: the
 * target of a move still pending (x86 moves a vector when it next fires), or
 * its affinity; NULL if there is no such line. The caller holds the RCU read
 * lock, after which descriptors and their masks are freed.
 */
const struct cpumask *rust_helper_irq_target_affinity(unsigned int irq)
{
	struct irq_desc *desc = irq_to_desc(irq);

	if (!desc)
		return NULL;
#ifdef CONFIG_GENERIC_PENDING_IRQ
	if (irqd_is_setaffinity_pending(&desc->irq_data))
		return desc->pending_mask;
#endif
	return irq_data_get_affinity_mask(&desc->irq_data);
}

/*
 * Looks line @irq up under RCU and takes its descriptor's lock, as /proc does
 * to read or change it; NULL (RCU released) without such a line. Descriptors
 * are freed after a grace period. Undone by irq_desc_unlock_rcu().
 */
static struct irq_desc *irq_desc_lock_rcu(unsigned int irq, unsigned long *flags)
{
	struct irq_desc *desc;

	rcu_read_lock();
	desc = irq_to_desc(irq);
	if (!desc) {
		rcu_read_unlock();
		return NULL;
	}
	raw_spin_lock_irqsave(&desc->lock, *flags);
	return desc;
}

static void irq_desc_unlock_rcu(struct irq_desc *desc, unsigned long flags)
{
	raw_spin_unlock_irqrestore(&desc->lock, flags);
	rcu_read_unlock();
}

bool rust_helper_irqd_affinity_is_managed(struct irq_data *d)
{
	return irqd_affinity_is_managed(d);
}

/*
 * Moves line @irq to @mask, refusing with -EPERM what a write to
 * /proc/irq/N/smp_affinity refuses (irq_can_set_affinity_usr(), which is
 * internal): a line whose affinity the kernel manages, a per-CPU line, one not
 * to be balanced, one whose chip cannot move it, or any with noirqaffinity.
 * The checks and the move are one step under the descriptor's lock, so a
 * number freed and given to a managed line meanwhile cannot slip through
 * (irq_set_affinity() itself does not refuse managed lines). -ENOENT without
 * such a line.
 */
int rust_helper_irq_set_affinity_usr(unsigned int irq, const struct cpumask *mask)
{
	struct irq_desc *desc;
	struct irq_data *data;
	unsigned long flags;
	int ret;

	desc = irq_desc_lock_rcu(irq, &flags);
	if (!desc)
		return -ENOENT;
	data = irq_desc_get_irq_data(desc);
	if (no_irq_affinity || irqd_affinity_is_managed(data) ||
	    !irqd_can_balance(data) || !data->chip ||
	    !data->chip->irq_set_affinity)
		ret = -EPERM;
	else
		ret = irq_set_affinity_locked(data, mask, false);
	irq_desc_unlock_rcu(desc, flags);
	return ret;
}

#ifdef CONFIG_GENERIC_MSI_IRQ
struct msi_desc *rust_helper_msi_first_desc(struct device *dev,
					    enum msi_desc_filter filter)
{
	return msi_first_desc(dev, filter);
}
#endif

unsigned long rust_helper_kstat_cpu_irqs_sum(unsigned int cpu)
{
	return kstat_cpu_irqs_sum(cpu);
}

/*
 * Nanoseconds @cpu spent handling interrupts since boot, hard and soft: the
 * irq and softirq columns of /proc/stat. With CONFIG_IRQ_TIME_ACCOUNTING
 * (and a stable clock) interrupt context is timed exactly, and the ticks its
 * ksoftirqd runs on are counted as softirq time; else both are sampled at
 * ticks. Racy reads of u64 counters, as /proc/stat's.
 */
u64 rust_helper_cpu_irq_time_ns(unsigned int cpu)
{
	const u64 *cpustat = kcpustat_cpu(cpu).cpustat;

	return READ_ONCE(cpustat[CPUTIME_IRQ]) +
	       READ_ONCE(cpustat[CPUTIME_SOFTIRQ]);
}

/*
 * Copies the name of the first handler of line @irq, the last column of
 * /proc/interrupts, into @buf (NUL-terminated, cut to fit); returns its
 * length, or -ENOENT without such a line or handler. Handlers are added and
 * removed under the descriptor's lock, which proc takes to print them too.
 */
int rust_helper_irq_handler_name(unsigned int irq, char *buf, size_t len)
{
	struct irq_desc *desc;
	unsigned long flags;
	int ret = -ENOENT;

	desc = irq_desc_lock_rcu(irq, &flags);
	if (!desc)
		return -ENOENT;
	if (desc->action && desc->action->name) {
		ret = strscpy(buf, desc->action->name, len);
		if (ret == -E2BIG)
			ret = len - 1;
	}
	irq_desc_unlock_rcu(desc, flags);
	return ret;
}

bool rust_helper_device_is_registered(struct device *dev)
{
	return device_is_registered(dev);
}

bool rust_helper_dev_is_pci(struct device *dev)
{
	return dev_is_pci(dev);
}

/*
 * Copies the affinity hint the driver gave line @irq (irq_update_affinity_hint,
 * /proc/irq/N/affinity_hint) into @out: 1 if it has one, 0 if not, -ENOENT
 * without such a line. The hint is read under the descriptor's lock, as proc
 * reads it, since the driver may change or drop it at any time.
 */
int rust_helper_irq_affinity_hint(unsigned int irq, struct cpumask *out)
{
	struct irq_desc *desc;
	unsigned long flags;
	int ret = 0;

	desc = irq_desc_lock_rcu(irq, &flags);
	if (!desc)
		return -ENOENT;
	if (desc->affinity_hint) {
		cpumask_copy(out, desc->affinity_hint);
		ret = 1;
	}
	irq_desc_unlock_rcu(desc, flags);
	return ret;
}

/*
 * Whether line @irq is set to exactly the CPUs of @mask (as
 * rust_helper_irq_target_affinity() reads them): 1 if so, 0 if not, -ENOENT
 * without such a line. Compares in place, without a copy, under the
 * descriptor's lock, under which a pending move completes (so the pending
 * mask and the affinity are read as one).
 */
int rust_helper_irq_affinity_equal(unsigned int irq, const struct cpumask *mask)
{
	struct irq_desc *desc;
	unsigned long flags;
	int ret;

	desc = irq_desc_lock_rcu(irq, &flags);
	if (!desc)
		return -ENOENT;
	ret = cpumask_equal(rust_helper_irq_target_affinity(irq), mask);
	irq_desc_unlock_rcu(desc, flags);
	return ret;
}

/* The NUMA node of @dev, NUMA_NO_NODE if it has none. */
int rust_helper_dev_to_node(struct device *dev)
{
	return dev_to_node(dev);
}

/* The CPUs of NUMA node @node, which must be a valid node. */
const struct cpumask *rust_helper_cpumask_of_node(int node)
{
	return cpumask_of_node(node);
}
