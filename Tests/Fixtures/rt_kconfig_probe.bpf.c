// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_kconfig_probe.bpf.c - kernel-version and config dependent code paths
 * in the style of Tetragon's / Falco's modern probe and the selftests'
 * kconfig users (own code). Pattern: one object runs everywhere and picks
 * field layouts and helpers from LINUX_KERNEL_VERSION and CONFIG_*
 * externs that libbpf fills in at load (for a light skeleton: at
 * generation) time; a tick-based rate computation uses CONFIG_HZ.
 * Covers: LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE and
 * LINUX_HAS_SYSCALL_WRAPPER virtual externs, bool/tristate/int/unsigned
 * long/char-array CONFIG_* externs, strong (CONFIG_HZ, CONFIG_BPF_JIT) and
 * __weak ones including one this kernel does not set
 * (CONFIG_LSKEL_FIXTURE_ABSENT), KERNEL_VERSION() comparisons, a
 * raw_tracepoint and a kprobe reading bpf_get_attach_cookie when present.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_JIT __kconfig;
extern enum libbpf_tristate CONFIG_BPF_PRELOAD __kconfig __weak;
extern enum libbpf_tristate CONFIG_BPF_PRELOAD_UMD __kconfig __weak;
extern unsigned long CONFIG_NR_CPUS __kconfig __weak;
extern int CONFIG_PGTABLE_LEVELS __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern bool CONFIG_CGROUP_BPF __kconfig __weak;
extern bool CONFIG_LSKEL_FIXTURE_ABSENT __kconfig __weak;

struct probe_report {
	__u32 kver;
	__u32 hz;
	__u64 nr_cpus;
	__u8 jit;
	__u8 preload;
	__u8 cookie;
	__u8 wrapper;
	__u8 absent;
	__u8 pgtable_levels;
	char hostname[16];
	__u64 last_cookie;
};

struct probe_report report;
__u64 ticks_per_min;

static __always_inline void fill_report(void)
{
	int i;

	report.kver = LINUX_KERNEL_VERSION;
	report.hz = CONFIG_HZ;
	report.nr_cpus = CONFIG_NR_CPUS;
	report.jit = CONFIG_BPF_JIT;
	report.preload = CONFIG_BPF_PRELOAD == TRI_YES ? 2 :
			 CONFIG_BPF_PRELOAD_UMD == TRI_MODULE ? 1 : 0;
	report.cookie = LINUX_HAS_BPF_COOKIE;
	report.wrapper = LINUX_HAS_SYSCALL_WRAPPER;
	report.absent = CONFIG_LSKEL_FIXTURE_ABSENT;
	report.pgtable_levels = CONFIG_PGTABLE_LEVELS;
	for (i = 0; i < 16; i++)
		report.hostname[i] = CONFIG_DEFAULT_HOSTNAME[i];
	ticks_per_min = (__u64)CONFIG_HZ * 60;
}

SEC("raw_tracepoint/sched_process_fork")
int on_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (void *)ctx->args[1];

	fill_report();
	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 14, 0))
		return BPF_CORE_READ(child, __state) == 0;
	return 0;
}

SEC("kprobe/wake_up_new_task")
int BPF_KPROBE(on_wake_new, struct task_struct *p)
{
	if (LINUX_HAS_BPF_COOKIE)
		report.last_cookie = bpf_get_attach_cookie(ctx);
	if (CONFIG_CGROUP_BPF && LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 1, 0))
		report.last_cookie |= 1ULL << 63;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
