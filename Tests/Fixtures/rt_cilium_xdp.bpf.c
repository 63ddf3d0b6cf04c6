// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_cilium_xdp.bpf.c - an XDP load balancer in the style of cilium's
 * bpf_xdp / katran (own code). Pattern: SEC("xdp") entry parses L2/L3 and
 * tail-calls per-family handlers; the IPv4 handler picks a backend through
 * a Maglev table kept in a hash of maps (one inner array per service) and
 * either redirects through a devmap, steers to another CPU through a
 * cpumap, or hands the packet to an AF_XDP socket.
 * Covers: PROG_ARRAY left empty, HASH_OF_MAPS and ARRAY_OF_MAPS with
 * __array(values, struct inner) inner templates and no initial values,
 * DEVMAP_HASH with struct bpf_devmap_val, CPUMAP, XSKMAP, PERCPU_ARRAY
 * stats, SEC("xdp.frags"), SEC("xdp/devmap") egress program,
 * bpf_xdp_adjust_head/adjust_meta, bpf_redirect_map, a static noinline
 * subprogram returning a backend slot, .rodata tunables.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define LB_MAGLEV_LUT_SIZE	251
#define XDP_CALL_IPV4		0
#define XDP_CALL_IPV6		1
#define XDP_CALL_NODEPORT	2

struct lb4_frontend {
	__be32 vip;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 flags;
	__u8 cluster_id;
	__u8 mac[6];
	__u16 ifindex;
};

struct xdp_stats {
	__u64 packets;
	__u64 bytes;
	__u64 drops;
	__u64 redirects;
};

struct maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAGLEV_LUT_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} maglev_inner_tmpl SEC(".maps");

struct backends_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct lb4_backend);
};

/* Used when a backend set has no entry for the slot; also keeps the full
 * definition of struct lb4_backend in BTF (an inner map's value type that is
 * only reached through the outer map's __array pointer would otherwise be
 * emitted as a forward declaration, and libbpf could not size it). */
struct lb4_backend fallback_backend = { .port = 0x5000, .flags = 1 };

const volatile __u32 nr_cpus_steer = 0;
const volatile bool use_xsk = false;
const volatile __u32 vip_port_min = 1;
const volatile __u16 meta_mark = 0xcafe;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} xdp_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct lb4_frontend);
	__type(value, __u32);
} lb4_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__array(values, struct maglev_inner);
} lb4_maglev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct backends_inner);
} lb4_backend_sets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct xdp_stats);
} xdp_stats_map SEC(".maps");

static __always_inline void account(__u32 slot, __u64 bytes, int verdict)
{
	struct xdp_stats *st = bpf_map_lookup_elem(&xdp_stats_map, &slot);

	if (!st)
		return;
	st->packets++;
	st->bytes += bytes;
	if (verdict == XDP_DROP)
		st->drops++;
	else if (verdict == XDP_REDIRECT)
		st->redirects++;
}

static __noinline __u32 maglev_slot(__u32 service_id, __u32 hash)
{
	__u32 idx = hash % LB_MAGLEV_LUT_SIZE;
	void *lut;
	__u32 *backend;

	lut = bpf_map_lookup_elem(&lb4_maglev, &service_id);
	if (!lut)
		return 0;
	backend = bpf_map_lookup_elem(lut, &idx);
	return backend ? *backend : 0;
}

SEC("xdp")
int xdp_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 len = data_end - data;

	if ((void *)(eth + 1) > data_end) {
		account(0, len, XDP_DROP);
		return XDP_DROP;
	}
	account(0, len, XDP_PASS);
	if (eth->h_proto == bpf_htons(RT_ETH_P_IP))
		bpf_tail_call(ctx, &xdp_calls, XDP_CALL_IPV4);
	else if (eth->h_proto == bpf_htons(RT_ETH_P_IPV6))
		bpf_tail_call(ctx, &xdp_calls, XDP_CALL_IPV6);
	return XDP_PASS;
}

SEC("xdp")
int xdp_lb4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4 = data + RT_ETH_HLEN;
	struct udphdr *l4;
	struct lb4_frontend fe = {};
	struct lb4_backend *be;
	void *set;
	__u32 *svc, slot, set_idx = 0, hash;

	if ((void *)(ip4 + 1) > data_end)
		return XDP_DROP;
	l4 = (void *)(ip4 + 1);
	if ((void *)(l4 + 1) > data_end)
		return XDP_PASS;
	fe.vip = ip4->daddr;
	fe.port = l4->dest;
	fe.proto = ip4->protocol;
	if (bpf_ntohs(fe.port) < vip_port_min)
		return XDP_PASS;
	svc = bpf_map_lookup_elem(&lb4_services, &fe);
	if (!svc)
		return XDP_PASS;
	hash = ip4->saddr ^ ((__u32)l4->source << 16) ^ l4->dest;
	slot = maglev_slot(*svc, hash);

	set = bpf_map_lookup_elem(&lb4_backend_sets, &set_idx);
	if (!set)
		return XDP_PASS;
	be = bpf_map_lookup_elem(set, &slot);
	if (!be)
		be = &fallback_backend;
	ip4->daddr = be->address;
	__builtin_memcpy(eth->h_dest, be->mac, sizeof(eth->h_dest));
	account(1, data_end - data, XDP_REDIRECT);
	if (use_xsk)
		return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (nr_cpus_steer) {
		__u32 cpu = hash % nr_cpus_steer;

		return bpf_redirect_map(&cpu_map, cpu, XDP_PASS);
	}
	return bpf_redirect_map(&tx_ports, be->ifindex, 0);
}

SEC("xdp")
int xdp_lb6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + RT_ETH_HLEN;

	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	account(2, data_end - data, XDP_PASS);
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_jumbo(struct xdp_md *ctx)
{
	__u32 *meta;
	void *data;

	/* Push metadata in front of the frame for the stack to read. */
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32)))
		return XDP_PASS;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(meta + 1) > data)
		return XDP_PASS;
	*meta = meta_mark;
	account(3, bpf_xdp_get_buff_len(ctx), XDP_PASS);
	return XDP_PASS;
}

SEC("xdp/devmap")
int xdp_egress_strip(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	/* Strip a VLAN-sized shim if the frame carries one. */
	if (eth->h_proto == bpf_htons(0x8100) && bpf_xdp_adjust_head(ctx, 4))
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
