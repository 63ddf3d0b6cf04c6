// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms.bpf.c - kernel symbol externs (".ksyms").
 *
 * Covers:
 *   - a typed ksym: the per-CPU kernel variable bpf_prog_active (in vmlinux
 *     BTF), accessed with bpf_this_cpu_ptr() and bpf_per_cpu_ptr();
 *   - a typeless ksym: the address of the kernel text symbol do_nanosleep
 *     (present in /proc/kallsyms), stored into a global;
 *   - a weak typeless ksym that no kernel has, which resolves to 0;
 *   - kfunc calls: bpf_rcu_read_lock()/bpf_rcu_read_unlock() (in vmlinux BTF).
 * Program: SEC("tp_btf/sched_switch") (fentry is avoided on purpose so the
 * fixture also loads where trampoline programs are not permitted).
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* typed ksym (per-CPU variable) */
extern const int bpf_prog_active __ksym;

/* typeless ksym (address only) */
extern const void do_nanosleep __ksym;

/* weak typeless ksym that does not exist: address resolves to 0 */
extern const void lskel_no_such_kernel_symbol __ksym __weak;

/* kfuncs */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

__u64 nanosleep_addr;
__u64 missing_addr = 1;
int prog_active_this_cpu;
int prog_active_cpu0;
__u64 switches;

SEC("tp_btf/sched_switch")
int BPF_PROG(ksyms_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	const int *active;

	nanosleep_addr = (__u64)&do_nanosleep;
	missing_addr = (__u64)&lskel_no_such_kernel_symbol;

	active = bpf_this_cpu_ptr(&bpf_prog_active);
	prog_active_this_cpu = *active;

	active = bpf_per_cpu_ptr(&bpf_prog_active, 0);
	if (active)
		prog_active_cpu0 = *active;

	bpf_rcu_read_lock();
	switches++;
	bpf_rcu_read_unlock();
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
