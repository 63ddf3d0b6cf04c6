// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * maps.bpf.c - BTF-defined maps of many types in the ".maps" section.
 *
 * Covers: HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, RINGBUF,
 * PERF_EVENT_ARRAY without max_entries (libbpf fills in the number of
 * possible CPUs), STACK_TRACE, and a map-in-map: an ARRAY_OF_MAPS whose
 * inner map is described with __array(values, ...), plus a standalone
 * ARRAY map with the same shape as the inner one that is statically placed
 * into slot 1 of the outer map (".values = { [1] = &inner_map }").
 * One tracepoint program touches every map so none is unused.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u32 counter;
	__s64 stack_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct event);
} array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} percpu_hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} lru_hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ringbuf_map SEC(".maps");

/* No max_entries: libbpf sizes it to the number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_map SEC(".maps");

#define STACK_DEPTH 127
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, STACK_DEPTH * sizeof(__u64));
} stack_map SEC(".maps");

/* Inner-map template type for the map-in-map below. */
struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
};

/* A standalone map with the inner shape; put into outer_map slot 1. */
struct inner_array inner_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer_map SEC(".maps") = {
	/* static initialisation: slot 1 holds inner_map at load time */
	.values = { [1] = &inner_map },
};

SEC("tracepoint/syscalls/sys_enter_openat")
int handle_openat(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 zero = 0, one = 1;
	__u64 init = 1, *cnt;
	struct event *ev, *slot;
	__u32 *val, *inner_val;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	void *inner;

	cnt = bpf_map_lookup_elem(&hash_map, &pid);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&hash_map, &pid, &init, BPF_NOEXIST);

	val = bpf_map_lookup_elem(&percpu_hash_map, &pid);
	if (val)
		*val += 1;
	else
		bpf_map_update_elem(&percpu_hash_map, &pid, &one, BPF_ANY);

	cnt = bpf_map_lookup_elem(&percpu_array_map, &zero);
	if (cnt)
		*cnt += 1;

	bpf_map_update_elem(&lru_hash_map, &pid_tgid, &pid, BPF_ANY);

	inner_val = bpf_map_lookup_elem(&inner_map, &zero);
	if (inner_val)
		*inner_val = pid;

	inner = bpf_map_lookup_elem(&outer_map, &zero);
	if (inner) {
		inner_val = bpf_map_lookup_elem(inner, &one);
		if (inner_val)
			*inner_val += 1;
	}

	slot = bpf_map_lookup_elem(&array_map, &zero);
	if (!slot)
		return 0;
	slot->pid = pid;
	slot->counter += 1;
	slot->stack_id = bpf_get_stackid(ctx, &stack_map, BPF_F_USER_STACK);

	bpf_perf_event_output(ctx, &perf_map, BPF_F_CURRENT_CPU, slot, sizeof(*slot));

	ev = bpf_ringbuf_reserve(&ringbuf_map, sizeof(*ev), 0);
	if (!ev)
		return 0;
	ev->pid = slot->pid;
	ev->counter = slot->counter;
	ev->stack_id = slot->stack_id;
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
