// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_cgroup_net.bpf.c - per-cgroup network accounting and firewalling in the
 * style of systemd's IP accounting/IPAddressDeny programs and container
 * runtimes' cgroup hooks (own code). Pattern: cgroup_skb ingress/egress
 * programs count bytes in cgroup local storage and drop packets to denied
 * prefixes; cgroup/sock_create and cgroup/connect4 enforce socket policy and
 * tag sockets with socket-local storage; tp_btf cgroup_mkdir/rmdir keep
 * per-cgroup metadata in cgroup storage.
 * Covers: BPF_MAP_TYPE_CGROUP_STORAGE (legacy, struct bpf_cgroup_storage_key)
 * and PERCPU_CGROUP_STORAGE with bpf_get_local_storage, CGRP_STORAGE
 * (bpf_cgrp_storage_get/delete), SK_STORAGE (bpf_sk_storage_get), LPM_TRIE
 * deny list, cgroup_skb/ingress, cgroup_skb/egress, cgroup/sock_create,
 * cgroup/connect4, cgroup/sysctl, cgroup/dev, tp_btf, bpf_skb_cgroup_id,
 * bpf_get_socket_cookie, bpf_sysctl_get_name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define SK_PASS_VERDICT	1
#define SK_DROP_VERDICT	0

struct traffic {
	__u64 packets;
	__u64 bytes;
};

struct cgroup_meta {
	__u64 created_ns;
	__u64 sockets;
	__u32 level;
	__u32 denied;
};

struct sock_tag {
	__u64 cookie;
	__u64 cgroup_id;
	__u32 creator_pid;
	__u32 flags;
};

struct deny_key {
	__u32 prefixlen;
	__u32 addr;
};

const volatile bool deny_raw_sockets = true;
const volatile __u16 blocked_port = 0;
const volatile __u32 allowed_dev_major = 1;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, struct traffic);
} ingress_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, struct traffic);
} egress_bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cgroup_meta);
} cgroup_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_tag);
} sock_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct deny_key);
	__type(value, __u8);
} deny_v4 SEC(".maps");

static __always_inline bool denied_dst(__u32 daddr)
{
	struct deny_key key = { .prefixlen = 32, .addr = daddr };

	return bpf_map_lookup_elem(&deny_v4, &key) != NULL;
}

SEC("cgroup_skb/ingress")
int count_ingress(struct __sk_buff *skb)
{
	struct traffic *t = bpf_get_local_storage(&ingress_bytes, 0);

	__sync_fetch_and_add(&t->packets, 1);
	__sync_fetch_and_add(&t->bytes, skb->len);
	return SK_PASS_VERDICT;
}

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	struct traffic *t = bpf_get_local_storage(&egress_bytes, 0);
	struct iphdr ip;

	t->packets++;
	t->bytes += skb->len;
	if (skb->protocol != bpf_htons(RT_ETH_P_IP))
		return SK_PASS_VERDICT;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
		return SK_PASS_VERDICT;
	if (denied_dst(ip.daddr))
		return SK_DROP_VERDICT;
	return SK_PASS_VERDICT;
}

SEC("cgroup/sock_create")
int sock_create(struct bpf_sock *sk)
{
	struct sock_tag *tag;

	if (deny_raw_sockets && sk->type == 3 /* SOCK_RAW */)
		return 0;
	tag = bpf_sk_storage_get(&sock_tags, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (tag) {
		tag->cookie = bpf_get_socket_cookie(sk);
		tag->creator_pid = bpf_get_current_pid_tgid() >> 32;
		tag->cgroup_id = bpf_get_current_cgroup_id();
	}
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	struct sock_tag *tag;

	if (blocked_port && ctx->user_port == bpf_htons(blocked_port))
		return 0;
	if (denied_dst(ctx->user_ip4))
		return 0;
	if (ctx->sk) {
		tag = bpf_sk_storage_get(&sock_tags, ctx->sk, 0, 0);
		if (tag)
			tag->flags |= 1;
	}
	return 1;
}

SEC("cgroup/sysctl")
int sysctl_guard(struct bpf_sysctl *ctx)
{
	char name[32] = {};

	if (!ctx->write)
		return 1;
	if (bpf_sysctl_get_name(ctx, name, sizeof(name), 0) < 0)
		return 1;
	/* refuse writes below net/ipv4/ */
	if (name[0] == 'n' && name[1] == 'e' && name[2] == 't' && name[4] == 'i')
		return 0;
	return 1;
}

SEC("cgroup/dev")
int dev_guard(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff;

	if (type == 2 /* BPF_DEVCG_DEV_CHAR */ && ctx->major == allowed_dev_major)
		return 1;
	return type != 2;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct cgroup_meta *meta;

	meta = bpf_cgrp_storage_get(&cgroup_meta, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!meta)
		return 0;
	meta->created_ns = bpf_ktime_get_ns();
	meta->level = cgrp->level;
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(on_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	bpf_cgrp_storage_delete(&cgroup_meta, cgrp);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
