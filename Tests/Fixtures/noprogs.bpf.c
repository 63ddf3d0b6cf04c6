// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * noprogs.bpf.c - an object with maps and globals but no programs at all.
 *
 * Covers: one BTF-defined HASH map, .data and .rodata globals, zero
 * programs. bpftool still emits a light skeleton for it, but (bpftool 7.1)
 * that header does not compile, so this fixture only checks generation.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} lonely_hash SEC(".maps");

__u64 data_counter = 3;
int data_flags = 0x10;

const volatile __u32 ro_limit = 64;
const volatile char ro_name[8] = "noprogs";

char LICENSE[] SEC("license") = "Dual BSD/GPL";
