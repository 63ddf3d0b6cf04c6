// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_runqlat.bpf.c - run queue latency in the style of libbpf-tools'
 * runqlat (own code). Pattern: record a timestamp when a task is woken or
 * preempted while runnable, measure on sched_switch when it gets the CPU.
 * tp_btf programs by default, raw_tp twins with SEC("?raw_tp/...").
 * Covers: ___o / ___x flavoured task_struct (state renamed to __state in
 * 5.14) chosen with bpf_core_field_exists, a pid-namespace filter via
 * BPF_CORE_READ(task, nsproxy, pid_ns_for_children, ns.inum), per-process /
 * per-thread / per-pidns histograms, a static-only .bss template, a
 * .data histogram count and const volatile tunables, a global noinline
 * subprogram (its BTF is checked by the verifier on its own).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define TASK_RUNNING_STATE 0

struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

struct task_struct___x {
	unsigned int __state;
} __attribute__((preserve_access_index));

const volatile bool filter_cg = false;
const volatile bool targ_per_process = false;
const volatile bool targ_per_thread = false;
const volatile bool targ_per_pidns = false;
const volatile bool targ_ms = false;
const volatile pid_t targ_tgid = 0;

/* .data: an initialised global the user space side reads back. */
__u32 hist_buckets = RT_MAX_SLOTS;

static struct rt_hist zero;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct rt_hist);
} hists SEC(".maps");

static __always_inline long task_state(struct task_struct *t)
{
	struct task_struct___x *tx = (void *)t;
	struct task_struct___o *to = (void *)t;

	if (bpf_core_field_exists(tx->__state))
		return BPF_CORE_READ(tx, __state);
	return BPF_CORE_READ(to, state);
}

static __always_inline unsigned int task_pidns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, pid_ns_for_children, ns.inum);
}

__noinline int enqueue(u32 tgid, u32 pid)
{
	u64 ts;

	if (!pid)
		return 0;
	if (targ_tgid && targ_tgid != tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

static __always_inline int on_switch(bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct rt_hist *h;
	u64 *tsp, slot, delta;
	u32 pid, hkey;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	if (task_state(prev) == TASK_RUNNING_STATE)
		enqueue(BPF_CORE_READ(prev, tgid), BPF_CORE_READ(prev, pid));

	pid = BPF_CORE_READ(next, pid);
	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	if ((s64)delta < 0)
		goto cleanup;

	if (targ_per_process)
		hkey = BPF_CORE_READ(next, tgid);
	else if (targ_per_thread)
		hkey = pid;
	else if (targ_per_pidns)
		hkey = task_pidns(next);
	else
		hkey = -1;
	h = rt_lookup_or_try_init(&hists, &hkey, &zero);
	if (!h)
		goto cleanup;
	if (targ_per_process || targ_per_thread)
		BPF_CORE_READ_STR_INTO(&h->comm, next, comm);
	delta /= targ_ms ? 1000000U : 1000U;
	slot = rt_log2l(delta);
	if (slot >= hist_buckets || slot >= RT_MAX_SLOTS)
		slot = RT_MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
cleanup:
	bpf_map_delete_elem(&start, &pid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	return enqueue(p->tgid, p->pid);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	return enqueue(p->tgid, p->pid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(preempt, prev, next);
}

SEC("?raw_tp/sched_wakeup")
int BPF_PROG(handle_sched_wakeup, struct task_struct *p)
{
	return enqueue(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, pid));
}

SEC("?raw_tp/sched_wakeup_new")
int BPF_PROG(handle_sched_wakeup_new, struct task_struct *p)
{
	return enqueue(BPF_CORE_READ(p, tgid), BPF_CORE_READ(p, pid));
}

SEC("?raw_tp/sched_switch")
int BPF_PROG(handle_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(preempt, prev, next);
}

char LICENSE[] SEC("license") = "GPL";
