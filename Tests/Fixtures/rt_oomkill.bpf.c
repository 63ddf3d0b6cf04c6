// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_oomkill.bpf.c - OOM kill reporter in the style of libbpf-tools'
 * oomkill (own code). Pattern: BPF_KPROBE on oom_kill_process reports the
 * trigger and the victim (pid, comm, pages, memcg); an fentry twin is
 * declared non-autoload for kernels with trampolines, and tp_btf/mark_victim
 * counts victims.
 * Covers: BPF_KPROBE with two typed arguments, SEC("?fentry/..."),
 * tp_btf, bpf_core_enum_value on a locally defined ___local flavour of
 * enum cgroup_subsys_id (the libbpf-tools core_fixes trick for enums not
 * in older vmlinux.h), bpf_core_enum_value_exists, BPF_CORE_READ through
 * oom_control->chosen and memcg->css.cgroup->kn->id, bpf_probe_read_kernel
 * of a comm array, a perf event array without max_entries, .data
 * counters initialised non-zero.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

enum cgroup_subsys_id___local {
	memory_cgrp_id___local = 123, /* value does not matter */
};

struct oom_event {
	__u32 fpid;
	__u32 tpid;
	__u64 pages;
	__u64 memcg_id;
	__u64 memcg_usage;
	__s32 memcg_subsys;
	__u32 victims_so_far;
	char fcomm[TASK_COMM_LEN];
	char tcomm[TASK_COMM_LEN];
	char message[64];
};

/* Starts at 1 so a reader can tell "never written" from zero kills. */
__u32 generation = 1;
__u32 victims = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline int report(void *ctx, struct oom_control *oc, const char *message)
{
	struct oom_event ev = {};
	struct task_struct *victim;
	struct mem_cgroup *memcg;

	ev.fpid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&ev.fcomm, sizeof(ev.fcomm));
	victim = BPF_CORE_READ(oc, chosen);
	ev.tpid = BPF_CORE_READ(victim, tgid);
	bpf_probe_read_kernel(&ev.tcomm, sizeof(ev.tcomm), BPF_CORE_READ(victim, comm));
	ev.pages = BPF_CORE_READ(oc, totalpages);
	bpf_probe_read_kernel_str(&ev.message, sizeof(ev.message), message);
	memcg = BPF_CORE_READ(oc, memcg);
	if (memcg) {
		ev.memcg_id = BPF_CORE_READ(memcg, css.cgroup, kn, id);
		ev.memcg_usage = BPF_CORE_READ(memcg, memory.usage.counter);
	}
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id___local, memory_cgrp_id___local))
		ev.memcg_subsys = bpf_core_enum_value(enum cgroup_subsys_id___local, memory_cgrp_id___local);
	else
		ev.memcg_subsys = -1;
	ev.victims_so_far = victims;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(oom_kill_process, struct oom_control *oc, const char *message)
{
	return report(ctx, oc, message);
}

SEC("?fentry/oom_kill_process")
int BPF_PROG(oom_kill_process_fentry, struct oom_control *oc, const char *message)
{
	return report(ctx, oc, message);
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim, struct task_struct *task, uid_t uid)
{
	__sync_fetch_and_add(&victims, 1);
	__sync_fetch_and_add(&generation, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
