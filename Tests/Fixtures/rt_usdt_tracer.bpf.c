// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_usdt_tracer.bpf.c - a USDT-based language runtime tracer in the style
 * of libbpf-tools' javagc, bcc's ucalls/uflow and bpftrace usdt probes
 * (own code). Pattern: method entry/return and GC start/end USDT probes of
 * a runtime (attached by user space with bpf_program__attach_usdt, hence
 * plain SEC("usdt")), plus auto-attach specs for libc's setjmp/longjmp
 * probes; per-thread call depth and GC pause histograms.
 * Covers: <bpf/usdt.bpf.h> (its __weak .maps __bpf_usdt_specs and
 * __bpf_usdt_ip_to_spec_id, its __weak __hidden global subprograms
 * bpf_usdt_arg / bpf_usdt_arg_cnt / bpf_usdt_cookie, the
 * LINUX_HAS_BPF_COOKIE virtual kconfig extern), BPF_USDT with 0-4
 * arguments, SEC("usdt/<path>:<provider>:<name>") auto-attach sections,
 * a ring buffer, a per-thread HASH of call depth, a .bss histogram.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "rt_common.h"

#define NAME_LEN 64

struct call_event {
	__u64 ts;
	__u64 cookie;
	__u32 pid;
	__u32 depth;
	__s32 line;
	__u8 is_return;
	__u8 nargs;
	char klass[NAME_LEN];
	char method[NAME_LEN];
};

const volatile pid_t target_pid = 0;
const volatile __u32 max_depth = 64;
const volatile bool trace_returns = true;

__u64 gc_pause_hist[RT_MAX_SLOTS];
__u64 longjmps;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} depth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} gc_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} calls SEC(".maps");

static __always_inline bool wanted(void)
{
	return !target_pid || (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline int on_call(struct pt_regs *ctx, const char *klass, const char *method,
				   long line, bool ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call_event *e;
	__u32 *d, zero = 0;

	if (!wanted())
		return 0;
	d = bpf_map_lookup_elem(&depth, &tid);
	if (!d) {
		bpf_map_update_elem(&depth, &tid, &zero, BPF_NOEXIST);
		d = bpf_map_lookup_elem(&depth, &tid);
		if (!d)
			return 0;
	}
	if (ret) {
		if (*d)
			(*d)--;
		if (!trace_returns)
			return 0;
	} else if (++(*d) > max_depth) {
		return 0;
	}
	e = bpf_ringbuf_reserve(&calls, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->cookie = bpf_usdt_cookie(ctx);
	e->nargs = bpf_usdt_arg_cnt(ctx);
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->depth = *d;
	e->line = line;
	e->is_return = ret;
	bpf_probe_read_user_str(e->klass, sizeof(e->klass), klass);
	bpf_probe_read_user_str(e->method, sizeof(e->method), method);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(method_entry, long thread_id, const char *klass, long klass_len,
	     const char *method)
{
	return on_call(ctx, klass, method, 0, false);
}

SEC("usdt")
int BPF_USDT(method_return, long thread_id, const char *klass, long klass_len,
	     const char *method)
{
	return on_call(ctx, klass, method, 0, true);
}

SEC("usdt/python3:python:function__entry")
int BPF_USDT(py_function_entry, const char *file, const char *func, int line)
{
	return on_call(ctx, file, func, line, false);
}

SEC("usdt/python3:python:function__return")
int BPF_USDT(py_function_return, const char *file, const char *func, int line)
{
	return on_call(ctx, file, func, line, true);
}

SEC("usdt")
int BPF_USDT(gc_begin)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 ts = bpf_ktime_get_ns();
	long arg0 = 0;

	if (!wanted())
		return 0;
	/* Some runtimes pass the GC cause, others nothing. */
	if (bpf_usdt_arg_cnt(ctx) > 0)
		bpf_usdt_arg(ctx, 0, &arg0);
	bpf_map_update_elem(&gc_start, &pid, &ts, BPF_ANY);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_end)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 *tsp, slot;

	tsp = bpf_map_lookup_elem(&gc_start, &pid);
	if (!tsp)
		return 0;
	slot = rt_log2l((bpf_ktime_get_ns() - *tsp) / 1000);
	if (slot >= RT_MAX_SLOTS)
		slot = RT_MAX_SLOTS - 1;
	__sync_fetch_and_add(&gc_pause_hist[slot], 1);
	bpf_map_delete_elem(&gc_start, &pid);
	return 0;
}

SEC("usdt/libc.so.6:libc:longjmp")
int BPF_USDT(libc_longjmp, void *env, int val, void *target_pc)
{
	if (wanted())
		__sync_fetch_and_add(&longjmps, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
