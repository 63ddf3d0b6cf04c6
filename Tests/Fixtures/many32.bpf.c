// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * many32.bpf.c - exactly 32 programs (SEC("socket")), no subprograms.
 *
 * 32 is the most programs a light skeleton loader accepts, so this must
 * still generate and load. Bodies are stamped out by a macro.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

__u32 hits[32];

#define SOCKET_PROG(n) SIMPLE_SOCKET_PROG(n)

#include "socket_progs.h"

TWENTY_EIGHT_PROGS(SOCKET_PROG)
FOUR_PROGS(SOCKET_PROG, 28, 29, 30, 31)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
