// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unknown_section.bpf.c - REFUSAL fixture: a program in a section name
 * libbpf does not recognise, SEC("lskel_bogus/section"), so no program
 * type can be derived for it.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

SEC("lskel_bogus/section")
int bogus_prog(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
