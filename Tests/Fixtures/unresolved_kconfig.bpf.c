// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * unresolved_kconfig.bpf.c - REFUSAL fixture: a strong (non-weak) Kconfig
 * extern that no kernel configuration defines, so it cannot be resolved.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

extern int CONFIG_LSKEL_NOT_A_REAL_OPTION __kconfig;

int seen;

SEC("tracepoint/syscalls/sys_enter_getpid")
int kconfig_user(void *ctx)
{
	seen = CONFIG_LSKEL_NOT_A_REAL_OPTION;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
