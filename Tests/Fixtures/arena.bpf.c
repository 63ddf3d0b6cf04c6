// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * arena.bpf.c - REFUSAL fixture: a BPF arena map (map type 33,
 * BPF_MAP_TYPE_ARENA, mmapable, one page). libbpf 1.1 predates arenas.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);	/* pages */
} arena SEC(".maps");

__u64 touched;

SEC("socket")
int arena_user(struct __sk_buff *skb)
{
	touched++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
