// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rawtp_noname.bpf.c - a SEC("raw_tp") program with no tracepoint name.
 *
 * libbpf accepts a bare "raw_tp" section (the tracepoint is then chosen at
 * attach time), but bpftool 7.1's light-skeleton attach code generation
 * assumes a "raw_tp/<name>" form and crashes on it. A second, normal
 * raw_tp program is included alongside.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

__u64 bare_hits;
__u64 named_hits;

SEC("raw_tp")
int rawtp_bare(void *ctx)
{
	bare_hits++;
	return 0;
}

SEC("raw_tp/sys_enter")
int rawtp_named(void *ctx)
{
	named_hits++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
