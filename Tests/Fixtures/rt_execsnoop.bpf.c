// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_execsnoop.bpf.c - an exec tracer in the style of libbpf-tools'
 * execsnoop (own code). Pattern: syscall tracepoints on execve/execveat
 * entry and exit; the argv is collected into a per-thread slot of a hash
 * map on entry and shipped on exit through a perf event array that sets no
 * max_entries (its size comes from the possible CPU count).
 * Covers: const volatile tunables (uid filter, failed-exec switch, argument
 * cap, cgroup filter), a static const zero template in .rodata, a
 * CGROUP_ARRAY filter map, BPF_CORE_READ chains through task_struct
 * (real_parent->tgid, cred->uid), bpf_probe_read_user(_str) in a bounded
 * loop, a static noinline subprogram shared by two programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define ARG_LEN		128
#define ARGS_MAX	48
#define ARGS_BUF	(ARGS_MAX * ARG_LEN)
#define NO_UID		((uid_t)-1)

struct exec_rec {
	pid_t tgid;
	pid_t parent_tgid;
	uid_t uid;
	uid_t loginuid;
	int ret;
	int argc;
	unsigned int used;
	char comm[TASK_COMM_LEN];
	char argv[ARGS_BUF];
};

const volatile bool only_cgroup = false;
const volatile bool skip_failed = true;
const volatile uid_t want_uid = NO_UID;
const volatile int arg_cap = 20;

static const struct exec_rec zero_rec;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cg_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u32);
	__type(value, struct exec_rec);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} exec_events SEC(".maps");

static __noinline bool caller_filtered(void)
{
	uid_t uid = (uid_t)bpf_get_current_uid_gid();

	if (only_cgroup && !bpf_current_task_under_cgroup(&cg_filter, 0))
		return true;
	return want_uid != NO_UID && uid != want_uid;
}

static __always_inline int collect_args(const char *const *uargv, const char *path)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct exec_rec *rec;
	const char *arg;
	long n;
	int i;

	if (caller_filtered())
		return 0;
	if (bpf_map_update_elem(&inflight, &tid, &zero_rec, BPF_NOEXIST))
		return 0;
	rec = bpf_map_lookup_elem(&inflight, &tid);
	if (!rec)
		return 0;

	task = (struct task_struct *)bpf_get_current_task();
	rec->tgid = bpf_get_current_pid_tgid() >> 32;
	rec->parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	rec->uid = BPF_CORE_READ(task, cred, uid.val);
	rec->loginuid = BPF_CORE_READ(task, loginuid.val);

	n = bpf_probe_read_user_str(rec->argv, ARG_LEN, path);
	rec->used = n > 0 ? n : 0;
	rec->argc = 1;

	for (i = 1; i < ARGS_MAX; i++) {
		if (i >= arg_cap)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &uargv[i]) || !arg)
			break;
		if (rec->used > ARGS_BUF - ARG_LEN)
			break;
		n = bpf_probe_read_user_str(&rec->argv[rec->used], ARG_LEN, arg);
		if (n <= 0)
			break;
		rec->used += n;
		rec->argc++;
	}
	return 0;
}

static __always_inline int finish_exec(void *ctx, long ret)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct exec_rec *rec;
	unsigned int size;

	rec = bpf_map_lookup_elem(&inflight, &tid);
	if (!rec)
		return 0;
	if (skip_failed && ret < 0)
		goto out;
	rec->ret = ret;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	size = offsetof(struct exec_rec, argv) + (rec->used & (ARGS_BUF - 1));
	if (size <= sizeof(*rec))
		bpf_perf_event_output(ctx, &exec_events, BPF_F_CURRENT_CPU, rec, size);
out:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	return collect_args((const char *const *)ctx->args[1], (const char *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int handle_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	return collect_args((const char *const *)ctx->args[2], (const char *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int handle_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return finish_exec(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int handle_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return finish_exec(ctx, ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
