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

#define SOCKET_PROG(n)					\
SEC("socket")						\
int sock_prog_##n(struct __sk_buff *skb)		\
{							\
	hits[n]++;					\
	return skb->len > n ? skb->len : 0;		\
}

#define FOUR_PROGS(a, b, c, d) \
	SOCKET_PROG(a) SOCKET_PROG(b) SOCKET_PROG(c) SOCKET_PROG(d)

FOUR_PROGS(0, 1, 2, 3)
FOUR_PROGS(4, 5, 6, 7)
FOUR_PROGS(8, 9, 10, 11)
FOUR_PROGS(12, 13, 14, 15)
FOUR_PROGS(16, 17, 18, 19)
FOUR_PROGS(20, 21, 22, 23)
FOUR_PROGS(24, 25, 26, 27)
FOUR_PROGS(28, 29, 30, 31)
SOCKET_PROG(32)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
