// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_cilium_tc.bpf.c - a container datapath on tc in the style of
 * cilium's bpf_lxc (own code). Pattern: two SEC("tc") entry points (from and
 * to the container) parse the packet and tail-call per-protocol handlers
 * through a program array that the agent fills after loading; handlers do
 * conntrack in an LRU hash, a service lookup, policy, NAT-style rewriting
 * with checksum helpers, and metrics.
 * Covers: BPF_MAP_TYPE_PROG_ARRAY with no initial values, tail call
 * targets that are themselves SEC("tc") programs, LRU_HASH, LPM_TRIE with
 * BPF_F_NO_PREALLOC, PERCPU_HASH metrics, a perf event array without
 * max_entries, const volatile endpoint config (ids, MAC, flags) in
 * .rodata, a global noinline subprogram taking the skb context, static
 * always_inline parsers with direct packet access, bpf_skb_store_bytes,
 * bpf_l3_csum_replace/bpf_l4_csum_replace, bpf_redirect, bpf_fib_lookup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define CALLS_MAP_SIZE		32
#define CILIUM_CALL_DROP_NOTIFY	1
#define CILIUM_CALL_IPV4	5
#define CILIUM_CALL_IPV6	6
#define CILIUM_CALL_IPV4_CT	7
#define CILIUM_CALL_IPV4_NAT	8

#define DROP_UNKNOWN_L3		-134
#define DROP_POLICY		-133
#define DROP_CT_INVALID		-135
#define DROP_MISSED_TAIL_CALL	-169

#define METRIC_INGRESS		1
#define METRIC_EGRESS		2

#define IP_CSUM_OFF	(RT_ETH_HLEN + offsetof(struct iphdr, check))
#define IP_DST_OFF	(RT_ETH_HLEN + offsetof(struct iphdr, daddr))
#define TCP_CSUM_OFF	(RT_ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, check))
#define IS_PSEUDO	0x10

struct ct_tuple4 {
	__be32 daddr;
	__be32 saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
} __attribute__((packed));

struct ct_entry {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u32 lifetime;
	__u16 rev_nat_index;
	__u8 seen_non_syn:1, tx_closing:1, rx_closing:1, reserved:5;
	__u8 pad;
	__u32 src_sec_id;
};

struct lb4_key {
	__be32 address;
	__be16 dport;
	__u16 backend_slot;
	__u8 proto;
	__u8 scope;
	__u8 pad[2];
};

struct lb4_service {
	__be32 backend_addr;
	__be16 backend_port;
	__u16 count;
	__u16 rev_nat_index;
	__u8 flags;
	__u8 pad;
};

struct ipcache_key {
	struct bpf_lpm_trie_key_hdr lpm;
	__u16 pad1;
	__u8 cluster_id;
	__u8 family;
	__be32 ip4;
};

struct remote_endpoint_info {
	__u32 sec_identity;
	__be32 tunnel_endpoint;
	__u8 key;
	__u8 flags;
	__u16 pad;
};

struct metrics_key {
	__u8 reason;
	__u8 dir;
	__u16 line;
	__u8 file;
	__u8 pad[3];
};

struct metrics_value {
	__u64 count;
	__u64 bytes;
};

struct drop_notify {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u32 len_cap;
	__u32 src_label;
	__u32 dst_label;
	__u32 dst_id;
	__u16 line;
	__u8 file;
	__u8 pad;
};

const volatile __u32 LXC_ID = 0;
const volatile __u32 SECLABEL = 0;
const volatile __u32 HOST_IFINDEX = 0;
const volatile __u8 NODE_MAC[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
const volatile bool ENABLE_NAT = false;
const volatile bool ENABLE_FIB = false;
const volatile __u32 CT_LIFETIME_TCP = 21600;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, CALLS_MAP_SIZE);
} cilium_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ct_tuple4);
	__type(value, struct ct_entry);
	__uint(max_entries, 65536);
} cilium_ct4_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_lb4_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipcache_key);
	__type(value, struct remote_endpoint_info);
	__uint(max_entries, 512000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct metrics_key);
	__type(value, struct metrics_value);
	__uint(max_entries, 1024);
} cilium_metrics SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} cilium_events SEC(".maps");

static __always_inline void update_metrics(__u64 bytes, __u8 dir, __u8 reason)
{
	struct metrics_key key = { .reason = reason, .dir = dir };
	struct metrics_value *entry, new_entry = {};

	entry = bpf_map_lookup_elem(&cilium_metrics, &key);
	if (entry) {
		entry->count += 1;
		entry->bytes += bytes;
	} else {
		new_entry.count = 1;
		new_entry.bytes = bytes;
		bpf_map_update_elem(&cilium_metrics, &key, &new_entry, 0);
	}
}

__noinline int send_drop_notify(struct __sk_buff *ctx, __u32 src, __u32 dst, int reason)
{
	struct drop_notify msg = {
		.type = 1,
		.subtype = (__u8)-reason,
		.source = LXC_ID,
		.len_orig = ctx->len,
		.len_cap = ctx->len < 128 ? ctx->len : 128,
		.src_label = src,
		.dst_label = dst,
	};

	update_metrics(ctx->len, METRIC_EGRESS, (__u8)-reason);
	bpf_perf_event_output(ctx, &cilium_events, ((__u64)msg.len_cap << 32) | BPF_F_CURRENT_CPU,
			      &msg, sizeof(msg));
	return RT_TC_ACT_SHOT;
}

static __always_inline bool revalidate_ipv4(struct __sk_buff *ctx, void **data, void **data_end,
					    struct iphdr **ip4)
{
	*data = (void *)(long)ctx->data;
	*data_end = (void *)(long)ctx->data_end;
	*ip4 = *data + RT_ETH_HLEN;
	return (void *)(*ip4 + 1) <= *data_end;
}

static __always_inline int tail_call_or_drop(struct __sk_buff *ctx, __u32 index)
{
	bpf_tail_call(ctx, &cilium_calls, index);
	return send_drop_notify(ctx, SECLABEL, 0, DROP_MISSED_TAIL_CALL);
}

static __always_inline __u32 lookup_identity(__be32 addr)
{
	struct ipcache_key key = {
		.lpm = { .prefixlen = 32 + 32 },
		.family = 1,
		.ip4 = addr,
	};
	struct remote_endpoint_info *info;

	info = bpf_map_lookup_elem(&cilium_ipcache, &key);
	return info ? info->sec_identity : 2 /* WORLD */;
}

SEC("tc")
int cil_from_container(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return RT_TC_ACT_OK;
	ctx->cb[0] = SECLABEL;
	switch (bpf_ntohs(eth->h_proto)) {
	case RT_ETH_P_IP:
		return tail_call_or_drop(ctx, CILIUM_CALL_IPV4);
	case RT_ETH_P_IPV6:
		return tail_call_or_drop(ctx, CILIUM_CALL_IPV6);
	default:
		return send_drop_notify(ctx, SECLABEL, 0, DROP_UNKNOWN_L3);
	}
}

SEC("tc")
int cil_to_container(struct __sk_buff *ctx)
{
	void *data, *data_end;
	struct iphdr *ip4;

	update_metrics(ctx->len, METRIC_INGRESS, 0);
	if (ctx->protocol != bpf_htons(RT_ETH_P_IP))
		return RT_TC_ACT_OK;
	if (!revalidate_ipv4(ctx, &data, &data_end, &ip4))
		return RT_TC_ACT_OK;
	ctx->cb[1] = lookup_identity(ip4->saddr);
	return tail_call_or_drop(ctx, CILIUM_CALL_IPV4_CT);
}

SEC("tc")
int tail_handle_ipv4(struct __sk_buff *ctx)
{
	struct lb4_key key = {};
	struct lb4_service *svc;
	void *data, *data_end;
	struct iphdr *ip4;
	struct tcphdr *tcp;

	if (!revalidate_ipv4(ctx, &data, &data_end, &ip4))
		return send_drop_notify(ctx, SECLABEL, 0, DROP_UNKNOWN_L3);
	if (ip4->protocol != IPPROTO_TCP)
		return tail_call_or_drop(ctx, CILIUM_CALL_IPV4_CT);
	tcp = (void *)(ip4 + 1);
	if ((void *)(tcp + 1) > data_end)
		return send_drop_notify(ctx, SECLABEL, 0, DROP_CT_INVALID);

	key.address = ip4->daddr;
	key.dport = tcp->dest;
	key.proto = IPPROTO_TCP;
	svc = bpf_map_lookup_elem(&cilium_lb4_services, &key);
	if (svc && svc->count) {
		__be32 new_daddr = svc->backend_addr;
		__be32 old_daddr = ip4->daddr;

		ctx->cb[2] = svc->rev_nat_index;
		bpf_l4_csum_replace(ctx, TCP_CSUM_OFF, old_daddr, new_daddr, IS_PSEUDO | sizeof(new_daddr));
		bpf_l3_csum_replace(ctx, IP_CSUM_OFF, old_daddr, new_daddr, sizeof(new_daddr));
		bpf_skb_store_bytes(ctx, IP_DST_OFF, &new_daddr, sizeof(new_daddr), 0);
	}
	return tail_call_or_drop(ctx, CILIUM_CALL_IPV4_CT);
}

SEC("tc")
int tail_handle_ipv6(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + RT_ETH_HLEN;

	if ((void *)(ip6 + 1) > data_end)
		return send_drop_notify(ctx, SECLABEL, 0, DROP_UNKNOWN_L3);
	if (ip6->nexthdr == 58 /* ICMPv6 */)
		return RT_TC_ACT_OK;
	return send_drop_notify(ctx, SECLABEL, 0, DROP_POLICY);
}

SEC("tc")
int tail_ipv4_ct(struct __sk_buff *ctx)
{
	struct ct_tuple4 tuple = {};
	struct ct_entry *entry, fresh = {};
	void *data, *data_end;
	struct iphdr *ip4;
	struct udphdr *l4;

	if (!revalidate_ipv4(ctx, &data, &data_end, &ip4))
		return send_drop_notify(ctx, SECLABEL, 0, DROP_CT_INVALID);
	tuple.daddr = ip4->daddr;
	tuple.saddr = ip4->saddr;
	tuple.nexthdr = ip4->protocol;
	l4 = (void *)(ip4 + 1);
	if ((void *)(l4 + 1) > data_end)
		return send_drop_notify(ctx, SECLABEL, 0, DROP_CT_INVALID);
	tuple.sport = l4->source;
	tuple.dport = l4->dest;

	entry = bpf_map_lookup_elem(&cilium_ct4_global, &tuple);
	if (entry) {
		__sync_fetch_and_add(&entry->tx_packets, 1);
		__sync_fetch_and_add(&entry->tx_bytes, ctx->len);
		entry->seen_non_syn = 1;
	} else {
		fresh.tx_packets = 1;
		fresh.tx_bytes = ctx->len;
		fresh.lifetime = CT_LIFETIME_TCP;
		fresh.src_sec_id = ctx->cb[0];
		bpf_map_update_elem(&cilium_ct4_global, &tuple, &fresh, 0);
	}
	if (ENABLE_NAT)
		return tail_call_or_drop(ctx, CILIUM_CALL_IPV4_NAT);
	if (ENABLE_FIB) {
		struct bpf_fib_lookup fib = {
			.family = RT_AF_INET,
			.ifindex = ctx->ingress_ifindex,
			.ipv4_src = tuple.saddr,
			.ipv4_dst = tuple.daddr,
		};

		if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) == 0)
			return bpf_redirect(fib.ifindex, 0);
	}
	if (HOST_IFINDEX)
		return bpf_redirect(HOST_IFINDEX, 0);
	return RT_TC_ACT_OK;
}

SEC("tc")
int tail_nat_ipv4(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[6];
	int i;

	if ((void *)(eth + 1) > data_end)
		return RT_TC_ACT_OK;
	for (i = 0; i < 6; i++)
		mac[i] = NODE_MAC[i];
	bpf_skb_store_bytes(ctx, offsetof(struct ethhdr, h_source), mac, sizeof(mac), 0);
	return RT_TC_ACT_OK;
}

SEC("tc")
int tail_drop_notify(struct __sk_buff *ctx)
{
	return send_drop_notify(ctx, ctx->cb[0], ctx->cb[1], (int)ctx->cb[2]);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
