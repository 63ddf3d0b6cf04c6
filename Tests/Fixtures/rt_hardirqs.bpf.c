// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_hardirqs.bpf.c - hard and soft IRQ time in the style of libbpf-tools'
 * hardirqs and softirqs (own code). Pattern: irq_handler_entry/exit and
 * softirq_entry/exit stamp a per-CPU slot and accumulate time (or a log2
 * histogram) per IRQ action name / per softirq vector.
 * Covers: tp_btf programs with SEC("?raw_tp/...") twins (8 programs), a
 * PERCPU_ARRAY start slot, a HASH keyed by a string (irq name read with
 * bpf_probe_read_kernel_str from irqaction->name), an ARRAY indexed by
 * softirq vector whose values are structs with a histogram, const volatile
 * targ_dist/targ_ns/do_count/targ_cpu, a static .rodata table of softirq
 * names (array of strings), bpf_get_smp_processor_id.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define IRQ_NAME_LEN 32

struct irq_name_key {
	char name[IRQ_NAME_LEN];
};

struct irq_stat {
	__u64 count;
	__u64 total_ns;
	__u32 slots[RT_MAX_SLOTS];
};

const volatile bool filter_cg = false;
const volatile bool targ_dist = false;
const volatile bool targ_ns = false;
const volatile bool do_count = false;
const volatile int targ_cpu = -1;

/* Names the user space side prints; static so the skeleton does not expose them. */
static const char softirq_names[NR_SOFTIRQS][10] = {
	"hi", "timer", "net_tx", "net_rx", "block",
	"irq_poll", "tasklet", "sched", "hrtimer", "rcu",
};

char last_softirq[10];

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} irq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} softirq_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct irq_name_key);
	__type(value, struct irq_stat);
} irqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_SOFTIRQS);
	__type(key, u32);
	__type(value, struct irq_stat);
} softirqs SEC(".maps");

static __always_inline bool cpu_ok(void)
{
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return false;
	return targ_cpu < 0 || targ_cpu == bpf_get_smp_processor_id();
}

static __always_inline void bucket(struct irq_stat *info, u64 delta)
{
	u64 slot;

	if (!targ_ns)
		delta /= 1000U;
	info->total_ns += delta;
	info->count++;
	if (!targ_dist)
		return;
	slot = rt_log2l(delta);
	if (slot >= RT_MAX_SLOTS)
		slot = RT_MAX_SLOTS - 1;
	info->slots[slot]++;
}

static __always_inline int irq_enter(struct irqaction *action)
{
	struct irq_name_key key = {};
	static const struct irq_stat zero;
	u32 idx = 0;
	u64 *ts;

	if (!cpu_ok())
		return 0;
	if (do_count) {
		struct irq_stat *info;

		bpf_probe_read_kernel_str(&key.name, sizeof(key.name), BPF_CORE_READ(action, name));
		info = rt_lookup_or_try_init(&irqs, &key, &zero);
		if (info)
			__sync_fetch_and_add(&info->count, 1);
		return 0;
	}
	ts = bpf_map_lookup_elem(&irq_start, &idx);
	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int irq_exit(struct irqaction *action)
{
	struct irq_name_key key = {};
	static const struct irq_stat zero;
	struct irq_stat *info;
	u32 idx = 0;
	u64 *ts, delta;

	if (do_count || !cpu_ok())
		return 0;
	ts = bpf_map_lookup_elem(&irq_start, &idx);
	if (!ts || !*ts)
		return 0;
	delta = bpf_ktime_get_ns() - *ts;
	bpf_probe_read_kernel_str(&key.name, sizeof(key.name), BPF_CORE_READ(action, name));
	info = rt_lookup_or_try_init(&irqs, &key, &zero);
	if (info)
		bucket(info, delta);
	return 0;
}

static __always_inline int softirq_enter(unsigned int vec)
{
	u32 idx = 0;
	u64 *ts;

	if (!cpu_ok())
		return 0;
	ts = bpf_map_lookup_elem(&softirq_start, &idx);
	if (ts)
		*ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int softirq_exit(unsigned int vec)
{
	struct irq_stat *info;
	u32 idx = 0, v = vec;
	u64 *ts;

	if (!cpu_ok())
		return 0;
	ts = bpf_map_lookup_elem(&softirq_start, &idx);
	if (!ts || !*ts)
		return 0;
	info = bpf_map_lookup_elem(&softirqs, &v);
	if (info)
		bucket(info, bpf_ktime_get_ns() - *ts);
	v &= 0xf;
	if (v >= NR_SOFTIRQS)
		return 0;
	__builtin_memcpy(last_softirq, softirq_names[v], sizeof(last_softirq));
	return 0;
}

SEC("tp_btf/irq_handler_entry")
int BPF_PROG(irq_handler_entry_btf, int irq, struct irqaction *action)
{
	return irq_enter(action);
}

SEC("tp_btf/irq_handler_exit")
int BPF_PROG(irq_handler_exit_btf, int irq, struct irqaction *action)
{
	return irq_exit(action);
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(softirq_entry_btf, unsigned int vec)
{
	return softirq_enter(vec);
}

SEC("tp_btf/softirq_exit")
int BPF_PROG(softirq_exit_btf, unsigned int vec)
{
	return softirq_exit(vec);
}

SEC("?raw_tp/irq_handler_entry")
int BPF_PROG(irq_handler_entry_raw, int irq, struct irqaction *action)
{
	return irq_enter(action);
}

SEC("?raw_tp/irq_handler_exit")
int BPF_PROG(irq_handler_exit_raw, int irq, struct irqaction *action)
{
	return irq_exit(action);
}

SEC("?raw_tp/softirq_entry")
int BPF_PROG(softirq_entry_raw, unsigned int vec)
{
	return softirq_enter(vec);
}

SEC("?raw_tp/softirq_exit")
int BPF_PROG(softirq_exit_raw, unsigned int vec)
{
	return softirq_exit(vec);
}

char LICENSE[] SEC("license") = "GPL";
