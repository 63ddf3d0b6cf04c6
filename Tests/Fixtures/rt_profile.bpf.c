// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_profile.bpf.c - a sampling CPU profiler in the style of libbpf-tools'
 * profile (own code). Pattern: a SEC("perf_event") program attached to a
 * software clock event on every CPU; each sample records user and kernel
 * stack ids from a STACK_TRACE map and bumps a counter keyed by
 * (pid, stack ids, comm).
 * Covers: perf_event program type, BPF_MAP_TYPE_STACK_TRACE sized with
 * value_size = depth * 8, bpf_get_stackid with BPF_F_USER_STACK, a
 * PERCPU_ARRAY scratch buffer for bpf_get_stack, bpf_perf_prog_read_value,
 * const volatile bools, an idle-task filter reading
 * bpf_perf_event_data->sample_period, a global __u64 .bss sample counter.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define MAX_STACK_DEPTH	127
#define MAX_ENTRIES	10240

struct key_t {
	__u32 pid;
	__s32 user_stack_id;
	__s32 kern_stack_id;
	char name[TASK_COMM_LEN];
};

struct raw_stack {
	__u64 ips[MAX_STACK_DEPTH];
	__u64 len;
};

const volatile bool kernel_stacks_only = false;
const volatile bool user_stacks_only = false;
const volatile bool include_idle = false;
const volatile bool use_raw_stacks = false;
const volatile pid_t targ_pid = -1;
const volatile pid_t targ_tid = -1;

__u64 samples_seen;
__u64 samples_lost;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__type(key, u32);
	__uint(value_size, MAX_STACK_DEPTH * sizeof(u64));
	__uint(max_entries, MAX_ENTRIES);
} stackmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct key_t);
	__type(value, u64);
	__uint(max_entries, MAX_ENTRIES);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct raw_stack);
} scratch SEC(".maps");

SEC("perf_event")
int do_perf_event(struct bpf_perf_event_data *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32, tid = (u32)id;
	struct key_t key = {};
	static const u64 one = 1;
	u64 *valp;

	if (!include_idle && tid == 0)
		return 0;
	if (targ_pid != -1 && targ_pid != pid)
		return 0;
	if (targ_tid != -1 && targ_tid != tid)
		return 0;
	__sync_fetch_and_add(&samples_seen, 1);

	key.pid = pid;
	bpf_get_current_comm(&key.name, sizeof(key.name));
	if (user_stacks_only)
		key.kern_stack_id = -1;
	else
		key.kern_stack_id = bpf_get_stackid(&ctx->regs, &stackmap, 0);
	if (kernel_stacks_only)
		key.user_stack_id = -1;
	else
		key.user_stack_id = bpf_get_stackid(&ctx->regs, &stackmap, BPF_F_USER_STACK);
	if (key.kern_stack_id < 0 && key.user_stack_id < 0)
		__sync_fetch_and_add(&samples_lost, 1);

	if (use_raw_stacks) {
		u32 zero = 0;
		struct raw_stack *raw = bpf_map_lookup_elem(&scratch, &zero);
		long n;

		if (raw) {
			n = bpf_get_stack(ctx, raw->ips, sizeof(raw->ips), 0);
			raw->len = n > 0 ? n / sizeof(u64) : 0;
		}
	}

	valp = bpf_map_lookup_elem(&counts, &key);
	if (valp)
		__sync_fetch_and_add(valp, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);

	if (ctx->sample_period == 0) {
		struct bpf_perf_event_value v = {};

		bpf_perf_prog_read_value(ctx, &v, sizeof(v));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
