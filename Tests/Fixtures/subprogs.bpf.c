// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * subprogs.bpf.c - BPF-to-BPF calls shared by several programs.
 *
 * Covers: a static __noinline subprogram and a global (non-static)
 * __noinline subprogram (verified independently by the kernel as a "global
 * function": scalar in, scalar out), each called from three programs of
 * different types: SEC("xdp"), SEC("tc") and SEC("socket"). libbpf appends a
 * copy of each subprogram to every program that calls it.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

__u64 hits;

static __noinline __u32 static_scale(__u32 v)
{
	return v * 3 + 1;
}

/* Global function: verified on its own with an unknown scalar argument. */
__noinline int global_clamp(int v)
{
	if (v < 0)
		return 0;
	if (v > 1500)
		return 1500;
	return v;
}

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
	int len = ctx->data_end - ctx->data;

	hits += static_scale(ctx->ingress_ifindex);
	return global_clamp(len) >= 0 ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	hits += static_scale(skb->len);
	return global_clamp(skb->mark) == 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("socket")
int socket_prog(struct __sk_buff *skb)
{
	return global_clamp(static_scale(skb->len));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
