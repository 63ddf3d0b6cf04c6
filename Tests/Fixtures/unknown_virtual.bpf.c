// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unknown_virtual.bpf.c - REFUSAL fixture: a strong __kconfig extern in the
 * LINUX_ namespace that libbpf does not know as a virtual extern
 * (it only knows e.g. LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, ...).
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

extern int LINUX_LSKEL_UNKNOWN __kconfig;

int seen;

SEC("tracepoint/syscalls/sys_enter_getpid")
int virtual_user(void *ctx)
{
	seen = LINUX_LSKEL_UNKNOWN;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
