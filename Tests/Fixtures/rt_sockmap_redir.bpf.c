// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_sockmap_redir.bpf.c - same-host TCP acceleration in the style of
 * cilium's sockops/sk_msg programs and merbridge (own code). Pattern: a
 * sockops program inserts every established local TCP socket into a
 * SOCKHASH keyed by its 4-tuple; an sk_msg program redirects sendmsg data
 * straight to the peer socket; an sk_skb parser/verdict pair on a SOCKMAP
 * splices ingress streams; RTT callbacks feed a stats map.
 * Covers: SEC("sockops") with bpf_sock_hash_update and
 * bpf_sock_ops_cb_flags_set, SEC("sk_msg") with bpf_msg_redirect_hash and a
 * sockhash, SEC("sk_skb/stream_parser") / SEC("sk_skb/stream_verdict") with
 * bpf_sk_redirect_map on a SOCKMAP, BPF_MAP_TYPE_SOCKHASH / SOCKMAP, a
 * PERCPU_ARRAY of counters, a static noinline tuple builder.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define SK_PASS_V 1
#define SK_DROP_V 0

struct sock_key {
	__u32 sip4;
	__u32 dip4;
	__u32 sport;
	__u32 dport;
	__u32 family;
};

enum redir_stat {
	STAT_INSERTED,
	STAT_REDIRECTED,
	STAT_MISSED,
	STAT_RTT_SAMPLES,
	STAT_MAX,
};

const volatile __u32 local_ip_prefix = 0x0000007f; /* 127.0.0.0/8, network order low byte */
const volatile bool redirect_ingress = false;

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65535);
	__type(key, struct sock_key);
	__type(value, __u32);
} sock_ops_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} splice_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} redir_stats SEC(".maps");

static __always_inline void bump(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&redir_stats, &which);

	if (v)
		*v += 1;
}

static __noinline void sk_ops_key(struct bpf_sock_ops *skops, struct sock_key *key)
{
	key->family = 1;
	key->sip4 = skops->local_ip4;
	key->dip4 = skops->remote_ip4;
	key->sport = bpf_htonl(skops->local_port) >> 16;
	key->dport = skops->remote_port >> 16;
}

SEC("sockops")
int bpf_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if (skops->family != RT_AF_INET)
		return 0;
	switch (skops->op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		if ((skops->remote_ip4 & 0xff) != local_ip_prefix)
			break;
		sk_ops_key(skops, &key);
		if (bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST) == 0)
			bump(STAT_INSERTED);
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		bump(STAT_RTT_SAMPLES);
		break;
	default:
		break;
	}
	return 0;
}

SEC("sk_msg")
int bpf_redir(struct sk_msg_md *msg)
{
	struct sock_key key = {};
	long ret;

	if (msg->family != RT_AF_INET)
		return SK_PASS_V;
	/* the peer's key: swap local and remote */
	key.family = 1;
	key.sip4 = msg->remote_ip4;
	key.dip4 = msg->local_ip4;
	key.dport = bpf_htonl(msg->local_port) >> 16;
	key.sport = msg->remote_port >> 16;
	ret = bpf_msg_redirect_hash(msg, &sock_ops_map, &key, redirect_ingress ? BPF_F_INGRESS : 0);
	bump(ret == SK_PASS_V ? STAT_REDIRECTED : STAT_MISSED);
	return SK_PASS_V;
}

SEC("sk_skb/stream_parser")
int stream_parser(struct __sk_buff *skb)
{
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int stream_verdict(struct __sk_buff *skb)
{
	__u32 peer = skb->local_port & 1;

	return bpf_sk_redirect_map(skb, &splice_map, peer ^ 1, 0);
}

char LICENSE[] SEC("license") = "GPL";
