// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_runqlen_ksym.bpf.c - run queue length and per-CPU kernel counters read
 * straight from kernel per-CPU variables, in the style of libbpf-tools'
 * runqlen / cpufreq and the selftests' ksym programs (own code). Pattern: a
 * perf_event sampler reads this CPU's struct rq through the typed ksym
 * runqueues with bpf_this_cpu_ptr; a syscall program walks every CPU with
 * bpf_per_cpu_ptr inside bpf_loop; kernel text bounds come from typeless
 * ksyms to classify sampled IPs.
 * Covers: typed ksyms (extern const struct rq runqueues __ksym; kstat,
 * process_counts, bpf_prog_active), bpf_this_cpu_ptr / bpf_per_cpu_ptr, a
 * typed __weak ksym absent from this kernel (NULL-checked), typeless ksyms
 * to text symbols (_stext, _etext) and a typeless __weak ksym to a data
 * symbol, const volatile nr_cpus/targ_per_cpu, a histogram in .bss.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define MAX_CPU_NR	128
#define MAX_SLOTS	32

extern const struct rq runqueues __ksym;
extern const struct kernel_stat kstat __ksym;
extern const unsigned long process_counts __ksym;
extern const int bpf_prog_active __ksym;
extern const int lskel_fixture_missing_percpu __ksym __weak;
extern const void _stext __ksym;
extern const void _etext __ksym;
extern const void __start_rodata __ksym __weak;

struct qlen_hist {
	__u32 slots[MAX_SLOTS];
};

struct cpu_snapshot {
	__u64 nr_running[MAX_CPU_NR];
	__u64 forks[MAX_CPU_NR];
	__u64 irqs[MAX_CPU_NR];
	__u32 cpus;
	__s32 prog_active;
	__s32 missing;
};

const volatile bool targ_per_cpu = false;
const volatile bool targ_host = false;
const volatile int nr_cpus = 1;

struct qlen_hist hists[MAX_CPU_NR];
__u64 kernel_samples, user_samples, rodata_samples;

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task;
	struct rq *rq;
	__u64 slot, ip = ctx->regs.ip;
	__u32 cpu = 0;

	if (ip >= (__u64)&_stext && ip < (__u64)&_etext)
		__sync_fetch_and_add(&kernel_samples, 1);
	else if (&__start_rodata && ip >= (__u64)&__start_rodata)
		__sync_fetch_and_add(&rodata_samples, 1);
	else
		__sync_fetch_and_add(&user_samples, 1);

	if (targ_host) {
		rq = bpf_this_cpu_ptr(&runqueues);
		slot = rq->nr_running;
	} else {
		task = (void *)bpf_get_current_task();
		slot = BPF_CORE_READ(task, se.cfs_rq, nr_queued);
	}
	/* Calculate run queue length by subtracting the currently running task,
	 * if present. len 0 == idle, len 1 == one running task. */
	if (slot > 0)
		slot--;
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	if (targ_per_cpu) {
		cpu = bpf_get_smp_processor_id();
		if (cpu >= MAX_CPU_NR)
			return 0;
	}
	hists[cpu].slots[slot]++;
	return 0;
}

static int snap_cpu(__u32 cpu, struct cpu_snapshot *snap)
{
	const struct rq *rq;
	const struct kernel_stat *ks;
	const unsigned long *forks;

	if (cpu >= MAX_CPU_NR || cpu >= nr_cpus)
		return 1;
	rq = bpf_per_cpu_ptr(&runqueues, cpu);
	ks = bpf_per_cpu_ptr(&kstat, cpu);
	forks = bpf_per_cpu_ptr(&process_counts, cpu);
	if (!rq || !ks || !forks)
		return 0;
	snap->nr_running[cpu] = rq->nr_running;
	snap->irqs[cpu] = ks->irqs_sum;
	snap->forks[cpu] = *forks;
	snap->cpus++;
	return 0;
}

SEC("syscall")
int snapshot(struct cpu_snapshot *snap)
{
	const int *active = bpf_this_cpu_ptr(&bpf_prog_active);
	const int *missing;

	snap->cpus = 0;
	bpf_loop(MAX_CPU_NR, snap_cpu, snap, 0);
	snap->prog_active = *active;
	missing = bpf_this_cpu_ptr(&lskel_fixture_missing_percpu);
	snap->missing = &lskel_fixture_missing_percpu ? *missing : -1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
