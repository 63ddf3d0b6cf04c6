// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * legacy_maps.bpf.c - REFUSAL fixture: an old-style map described by a
 * locally defined struct bpf_map_def placed in SEC("maps"). libbpf 1.x
 * dropped support for legacy map definitions.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

SEC("socket")
int legacy_user(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&legacy_array, &key);

	if (v)
		*v += 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
