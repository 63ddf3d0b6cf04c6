// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * struct_ops.bpf.c - REFUSAL fixture: a struct_ops map (a minimal TCP
 * congestion control) in SEC(".struct_ops") with SEC("struct_ops/...")
 * programs. The light-skeleton generator does not support struct_ops.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct sock;

/* Minimal local view of the kernel type (matched by name via BTF). */
struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	char name[16];
} __attribute__((preserve_access_index));

SEC("struct_ops/lskel_ssthresh")
__u32 BPF_PROG(lskel_ssthresh, struct sock *sk)
{
	return 10;
}

SEC("struct_ops/lskel_cong_avoid")
void BPF_PROG(lskel_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops/lskel_undo_cwnd")
__u32 BPF_PROG(lskel_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC(".struct_ops")
struct tcp_congestion_ops lskel_cc = {
	.ssthresh = (void *)lskel_ssthresh,
	.cong_avoid = (void *)lskel_cong_avoid,
	.undo_cwnd = (void *)lskel_undo_cwnd,
	.name = "lskel_cc",
};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
