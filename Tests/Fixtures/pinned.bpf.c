// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pinned.bpf.c - REFUSAL fixture: a BTF-defined map with
 * __uint(pinning, LIBBPF_PIN_BY_NAME). Map pinning/reuse is a libbpf
 * user-space feature the light-skeleton loader cannot perform.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_hash SEC(".maps");

SEC("socket")
int pinned_user(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&pinned_hash, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
