// SPDX-License-Identifier: GPL-2.0

#include <linux/cpumask.h>
#include <linux/sched/isolation.h>

void rust_helper_cpumask_copy(struct cpumask *dstp, const struct cpumask *srcp)
{
	cpumask_copy(dstp, srcp);
}

void rust_helper_cpumask_set_cpu(unsigned int cpu, struct cpumask *dstp)
{
	cpumask_set_cpu(cpu, dstp);
}

bool rust_helper_cpumask_test_cpu(int cpu, const struct cpumask *cpumask)
{
	return cpumask_test_cpu(cpu, cpumask);
}

bool rust_helper_cpu_online(unsigned int cpu)
{
	return cpu_online(cpu);
}

bool rust_helper_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

bool rust_helper_cpu_is_isolated(int cpu)
{
	return cpu_is_isolated(cpu);
}

void rust_helper_cpumask_clear(struct cpumask *dstp)
{
	cpumask_clear(dstp);
}
