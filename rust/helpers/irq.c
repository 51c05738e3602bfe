// SPDX-License-Identifier: GPL-2.0

#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/msi.h>

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

bool rust_helper_irqd_affinity_is_managed(struct irq_data *d)
{
	return irqd_affinity_is_managed(d);
}

#ifdef CONFIG_GENERIC_MSI_IRQ
struct msi_desc *rust_helper_msi_first_desc(struct device *dev,
					    enum msi_desc_filter filter)
{
	return msi_first_desc(dev, filter);
}
#endif
