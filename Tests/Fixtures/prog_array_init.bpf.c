// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prog_array_init.bpf.c - REFUSAL fixture: a PROG_ARRAY map statically
 * initialised with a program reference (".values = { [0] = &prog }"),
 * as described in the libbpf documentation for tail-call maps.
 * The light-skeleton loader has no way to populate such slots.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

int tail_callee(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&tail_callee,
	},
};

SEC("socket")
int tail_callee(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("socket")
int tail_caller(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jump_table, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
