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

#include "socket_progs.h"

TWENTY_EIGHT_PROGS(SOCKET_PROG)
SOCKET_PROG(28) SOCKET_PROG(29) SOCKET_PROG(30)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
