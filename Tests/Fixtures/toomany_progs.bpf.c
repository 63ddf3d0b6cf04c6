// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * toomany_progs.bpf.c - REFUSAL fixture: 33 SEC("socket") programs.
 *
 * One more than many32.bpf.c, i.e. past the 32-program limit of the
 * light-skeleton loader. Bodies are stamped out by a macro.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

__u32 hits[33];

#define SOCKET_PROG(n) SIMPLE_SOCKET_PROG(n)

#include "socket_progs.h"

TWENTY_EIGHT_PROGS(SOCKET_PROG)
FOUR_PROGS(SOCKET_PROG, 28, 29, 30, 31)
SOCKET_PROG(32)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
