// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_opensnoop.bpf.c - an open() tracer in the style of libbpf-tools'
 * opensnoop (own code). Pattern: sys_enter_open/openat/openat2 tracepoints
 * stash the filename pointer and flags per thread, sys_exit_* emits the
 * result; a second, non-autoloaded implementation uses BPF_KSYSCALL and
 * BPF_KRETPROBE on the syscall wrappers (the tool flips autoload at run
 * time depending on what the kernel offers).
 * Covers: const volatile pid/tgid/uid/failed filters, a ring buffer,
 * BPF_KSYSCALL (LINUX_HAS_SYSCALL_WRAPPER virtual extern), SEC("?ksyscall"),
 * SEC("?kretsyscall"), SEC("?kretprobe"), bpf_printk debug strings
 * (.rodata.str1.1) behind a tunable, a .bss counter array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define FNAME_LEN 256

struct open_args {
	const char *fname;
	int flags;
	__u32 mode;
};

struct open_event {
	__u64 ts;
	pid_t pid;
	uid_t uid;
	int ret;
	int flags;
	__u32 mode;
	__u32 syscall;
	char comm[TASK_COMM_LEN];
	char fname[FNAME_LEN];
};

const volatile pid_t filter_tgid = 0;
const volatile pid_t filter_tid = 0;
const volatile uid_t filter_uid = (uid_t)-1;
const volatile bool only_failed = false;
const volatile bool debug = false;

__u64 opens_seen[4];
__u64 drops;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct open_args);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} open_rb SEC(".maps");

static __always_inline bool wanted(void)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32, tid = (u32)id;

	if (filter_tgid && filter_tgid != tgid)
		return false;
	if (filter_tid && filter_tid != tid)
		return false;
	if (filter_uid != (uid_t)-1 && (u32)bpf_get_current_uid_gid() != filter_uid)
		return false;
	return true;
}

static __always_inline int stash(const char *fname, int flags, __u32 mode, int which)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_args args = { .fname = fname, .flags = flags, .mode = mode };

	if (!wanted())
		return 0;
	if (which >= 0 && which < 4)
		__sync_fetch_and_add(&opens_seen[which], 1);
	bpf_map_update_elem(&pending, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline int emit(long ret, __u32 syscall)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_args *args;
	struct open_event *e;

	args = bpf_map_lookup_elem(&pending, &tid);
	if (!args)
		return 0;
	if (only_failed && ret >= 0)
		goto done;
	e = bpf_ringbuf_reserve(&open_rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		if (debug)
			bpf_printk("opensnoop: ring buffer full, tid %d", tid);
		goto done;
	}
	e->ts = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ret = ret;
	e->flags = args->flags;
	e->mode = args->mode;
	e->syscall = syscall;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), args->fname);
	if (debug)
		bpf_printk("opensnoop: %s -> %ld", e->fname, ret);
	bpf_ringbuf_submit(e, 0);
done:
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int tp_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return stash((const char *)ctx->args[0], (int)ctx->args[1], (__u32)ctx->args[2], 0);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return stash((const char *)ctx->args[1], (int)ctx->args[2], (__u32)ctx->args[3], 1);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tp_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return stash((const char *)ctx->args[1], (int)how.flags, (__u32)how.mode, 2);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tp_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx->ret, 2);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tp_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx->ret, 257);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tp_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return emit(ctx->ret, 437);
}

SEC("?ksyscall/openat")
int BPF_KSYSCALL(ks_openat, int dfd, const char *filename, int flags, umode_t mode)
{
	return stash(filename, flags, mode, 3);
}

SEC("?kretsyscall/openat")
int BPF_KRETPROBE(kret_openat, long ret)
{
	return emit(ret, 257);
}

SEC("?kretprobe/do_sys_openat2")
int BPF_KRETPROBE(kret_do_sys_openat2, long ret)
{
	return emit(ret, 437);
}

char LICENSE[] SEC("license") = "GPL";
