// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_syscount.bpf.c - syscall counts and latency in the style of
 * libbpf-tools' syscount (own code). Pattern: tracepoint
 * raw_syscalls/sys_enter stamps the thread, raw_syscalls/sys_exit
 * aggregates per syscall number or per process; a PERCPU_HASH keeps the
 * counters contention-free.
 * Covers: tracepoint programs on raw_syscalls, BPF_MAP_TYPE_PERCPU_HASH
 * and PERCPU_ARRAY, const volatile filters (pid, errno, failed only,
 * per-process, latency on/off, cgroup), a CGROUP_ARRAY, .bss drop counters,
 * a static noinline subprogram.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define MAX_ENTRIES 8192

struct data_t {
	__u64 count;
	__u64 total_ns;
	char comm[TASK_COMM_LEN];
};

const volatile bool filter_cg = false;
const volatile bool count_by_process = false;
const volatile bool measure_latency = false;
const volatile bool filter_failed = false;
const volatile int filter_errno = 0;
const volatile pid_t filter_pid = 0;

__u32 missed_starts;
__u32 map_full;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, u32);
	__type(value, struct data_t);
} data SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 512);
	__type(key, u32);
	__type(value, u64);
} by_nr SEC(".maps");

static __noinline void save_proc_name(struct data_t *val)
{
	struct task_struct *current = (void *)bpf_get_current_task();

	/* comm of the thread group leader, as ps shows it */
	bpf_probe_read_kernel_str(val->comm, sizeof(val->comm),
				  BPF_CORE_READ(current, group_leader, comm));
}

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *args)
{
	u64 id = bpf_get_current_pid_tgid();
	pid_t pid = id >> 32;
	u32 tid = id;
	u64 ts;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	if (filter_pid && pid != filter_pid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, 0);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *args)
{
	u64 id = bpf_get_current_pid_tgid();
	static const struct data_t zero;
	pid_t pid = id >> 32;
	struct data_t *val;
	u64 *start_ts, lat = 0, *nr_cnt;
	u32 tid = id, key, nr;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	if (filter_pid && pid != filter_pid)
		return 0;
	if (filter_failed && args->ret >= 0)
		return 0;
	if (filter_errno && args->ret != -filter_errno)
		return 0;

	if (measure_latency) {
		start_ts = bpf_map_lookup_elem(&start, &tid);
		if (!start_ts) {
			__sync_fetch_and_add(&missed_starts, 1);
			return 0;
		}
		lat = bpf_ktime_get_ns() - *start_ts;
	}

	nr = args->id;
	nr_cnt = bpf_map_lookup_elem(&by_nr, &nr);
	if (nr_cnt)
		*nr_cnt += 1;

	key = count_by_process ? pid : nr;
	val = bpf_map_lookup_elem(&data, &key);
	if (!val) {
		if (bpf_map_update_elem(&data, &key, &zero, BPF_NOEXIST)) {
			__sync_fetch_and_add(&map_full, 1);
			return 0;
		}
		val = bpf_map_lookup_elem(&data, &key);
		if (!val)
			return 0;
		if (count_by_process)
			save_proc_name(val);
	}
	val->count++;
	if (measure_latency)
		val->total_ns += lat;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
