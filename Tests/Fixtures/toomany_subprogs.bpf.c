// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * toomany_subprogs.bpf.c - REFUSAL fixture: 31 SEC("socket") programs plus
 * 2 global __noinline subprograms called from them.
 *
 * Only 31 entry programs, but libbpf counts subprograms as programs of the
 * object too, so the total (33) is past the 32-program limit of the
 * light-skeleton loader. Bodies are stamped out by a macro.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

__u32 hits[31];

__noinline int global_len_a(int len)
{
	return len > 64 ? 64 : len;
}

__noinline int global_len_b(int len)
{
	return len < 0 ? 0 : len + 1;
}

#define SOCKET_PROG(n)						\
SEC("socket")							\
int sock_prog_##n(struct __sk_buff *skb)			\
{								\
	hits[n]++;						\
	return (n % 2) ? global_len_a(skb->len)			\
		       : global_len_b(skb->len);		\
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
SOCKET_PROG(28) SOCKET_PROG(29) SOCKET_PROG(30)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
