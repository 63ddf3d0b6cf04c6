// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_bpftrace_like.bpf.c - the shape of the object bpftrace generates for a
 * one-liner script (own code, written in C), e.g.
 *   BEGIN { printf("Tracing...\n"); }
 *   kprobe:do_nanosleep { @start[tid] = nsecs; }
 *   kretprobe:do_nanosleep /@start[tid]/ { @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }
 *   tracepoint:syscalls:sys_enter_openat { printf("%s %s\n", comm, str(args.filename)); }
 *   profile:hz:99 { @stacks[kstack] = count(); }
 *   interval:s:1 { print(@ns); }
 *   END { clear(@start); }
 * Pattern: one program per probe; every @map is its own BPF map named
 * "AT_<name>"; printf() becomes a ring buffer record tagged with a format
 * id, str() and large tuples use per-CPU scratch arrays, hist() a
 * PERCPU_HASH of (key, bucket) -> count; event loss is counted in an array;
 * BEGIN/END are uprobes on the tracer's own binary (plain SEC("uprobe")),
 * profile/interval are perf_event programs.
 * Covers: map names with unusual prefixes/lengths (AT_start, AT_ns,
 * AT_stacks, stack_perf_127, fmt_str_buf, event_loss_counter,
 * max_cpu_id), .bss/.data scalars the runtime sets (num_cpus, max_cpu_id),
 * PERCPU_HASH, STACK_TRACE with bpf_get_stackid, ring buffer output with
 * a loss counter, two perf_event programs, uprobes, kprobe/kretprobe,
 * tracepoint, bpf_probe_read_user_str, a bpf_for_each_map_elem callback
 * deleting entries (clear()).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rt_common.h"

#define STR_LEN		64
#define PRINTF_TRACING	0
#define PRINTF_OPEN	1
#define PRINT_NS	2

struct printf_tracing {
	__u64 id;
};

struct printf_open {
	__u64 id;
	char comm[TASK_COMM_LEN];
	char filename[STR_LEN];
};

struct print_map {
	__u64 id;
	__u64 map_id;
	__u64 top;
	__u64 div;
};

struct hist_key {
	__u64 key;
	__u64 bucket;
};

__u64 num_cpus = 1;
__u64 max_cpu_id;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} AT_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct hist_key);
	__type(value, __u64);
} AT_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __s64);
	__type(value, __u64);
} AT_stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} stack_perf_127 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 4096);
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} event_loss_counter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct printf_open);
} fmt_str_buf SEC(".maps");

static __always_inline void output(void *data, __u64 size)
{
	__u32 zero = 0;
	__u64 *lost;

	if (bpf_ringbuf_output(&ringbuf, data, size, 0) < 0) {
		lost = bpf_map_lookup_elem(&event_loss_counter, &zero);
		if (lost)
			__sync_fetch_and_add(lost, 1);
	}
}

static __always_inline __u64 hist_bucket(__u64 v)
{
	if (v == 0)
		return 0;
	return rt_log2l(v) + 1;
}

SEC("uprobe")
int BEGIN_1(struct pt_regs *ctx)
{
	struct printf_tracing p = { .id = PRINTF_TRACING };

	output(&p, sizeof(p));
	return 0;
}

SEC("kprobe/do_nanosleep")
int kprobe_do_nanosleep_1(struct pt_regs *ctx)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&AT_start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("kretprobe/do_nanosleep")
int kretprobe_do_nanosleep_2(struct pt_regs *ctx)
{
	__u64 tid = (__u32)bpf_get_current_pid_tgid();
	struct hist_key hk = {};
	__u64 *startp, one = 1, *cnt;

	startp = bpf_map_lookup_elem(&AT_start, &tid);
	if (!startp || !*startp)
		return 0;
	hk.bucket = hist_bucket(bpf_ktime_get_ns() - *startp);
	cnt = bpf_map_lookup_elem(&AT_ns, &hk);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&AT_ns, &hk, &one, BPF_ANY);
	bpf_map_delete_elem(&AT_start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint_syscalls_sys_enter_openat_3(struct trace_event_raw_sys_enter *ctx)
{
	struct printf_open *p;
	__u32 zero = 0;

	p = bpf_map_lookup_elem(&fmt_str_buf, &zero);
	if (!p)
		return 0;
	p->id = PRINTF_OPEN;
	bpf_get_current_comm(p->comm, sizeof(p->comm));
	bpf_probe_read_user_str(p->filename, sizeof(p->filename), (void *)ctx->args[1]);
	output(p, sizeof(*p));
	return 0;
}

SEC("perf_event")
int profile_hz_99_4(struct bpf_perf_event_data *ctx)
{
	__s64 stackid = bpf_get_stackid(ctx, &stack_perf_127, 0);
	__u64 one = 1, *cnt;
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu > max_cpu_id)
		max_cpu_id = cpu;
	cnt = bpf_map_lookup_elem(&AT_stacks, &stackid);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&AT_stacks, &stackid, &one, BPF_ANY);
	return 0;
}

SEC("perf_event")
int interval_s_1_5(struct bpf_perf_event_data *ctx)
{
	struct print_map p = { .id = PRINT_NS, .map_id = 1, .top = 0, .div = num_cpus };

	output(&p, sizeof(p));
	return 0;
}

static long clear_cb(struct bpf_map *map, __u64 *key, __u64 *val, void *ctx)
{
	bpf_map_delete_elem(map, key);
	return 0;
}

SEC("uprobe")
int END_1(struct pt_regs *ctx)
{
	/* clear(@start) */
	bpf_for_each_map_elem(&AT_start, clear_cb, NULL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
