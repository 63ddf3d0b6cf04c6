// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_pwru_like.bpf.c - "packet, where are you?" tracing in the style of
 * cilium/pwru and retis (own code). Pattern: the same kprobe body is
 * compiled once per argument position of the sk_buff (user space attaches
 * each variant to every kernel function whose Nth argument is an skb); the
 * body applies a packet filter, records skb metadata, the 5-tuple,
 * conntrack/xfrm/route state and optionally a bpf_snprintf_btf dump of the
 * skb and its shared info, and emits it on a ring buffer; tc and xdp
 * programs mark packets at the edges.
 * Covers: five kprobe variants sharing a static noinline body, a
 * kprobe.multi program (SEC("kprobe.multi/...")), kretprobe, tc and xdp
 * programs, BPF_CORE_READ through sk_buff, skb_shared_info, net_device,
 * netdev_queue, Qdisc, net, nf_conn, dst_entry/rtable, sock/tcp_sock/udp_sock,
 * xfrm_state; bpf_core_type_id_kernel for bpf_snprintf_btf, a large .BTF,
 * const volatile filter config (struct in .rodata), a per-CPU event heap.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define DUMP_LEN 2048

typedef struct {
	__u32 mark;
	__u32 ifindex;
	__u32 netns;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 l4_proto;
	__u8 output_meta;
	__u8 output_tuple;
	__u8 output_skb;
	__u8 output_stack;
	__u8 output_ct;
	__u8 pad[2];
} filter_cfg_t;

struct skb_meta {
	__u32 netns;
	__u32 mark;
	__u32 ifindex;
	__u32 len;
	__u32 mtu;
	__u32 protocol;
	__u16 pkt_type;
	__u16 queue;
	__u32 qlen;
	__u32 gso_size;
	__u32 nr_frags;
	__u32 ct_status;
	__u32 ct_mark;
	__u32 route_flags;
	__u32 xfrm_spi;
	__u32 sk_state;
	__u32 sk_rtt;
	__u32 udp_pending;
	char ifname[16];
	char qdisc[16];
};

struct tuple {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct pwru_event {
	__u32 pid;
	__u32 type;
	__u64 addr;
	__u64 skb_addr;
	__u64 ts;
	__s64 stack_id;
	struct skb_meta meta;
	struct tuple tuple;
	__u32 dump_len;
	char dump[DUMP_LEN];
};

const volatile filter_cfg_t cfg = { .output_meta = 1, .output_tuple = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pwru_event);
} event_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 2048);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 50 * sizeof(__u64));
} print_stack_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} skb_addresses SEC(".maps");

static __always_inline void read_meta(struct sk_buff *skb, struct skb_meta *m)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct skb_shared_info *shinfo;
	unsigned char *head;
	unsigned int end;

	m->len = BPF_CORE_READ(skb, len);
	m->mark = BPF_CORE_READ(skb, mark);
	m->protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	m->pkt_type = BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type);
	m->queue = BPF_CORE_READ(skb, queue_mapping);
	if (dev) {
		struct netdev_queue *txq = BPF_CORE_READ(dev, _tx);
		struct Qdisc *q = BPF_CORE_READ(txq, qdisc);

		m->ifindex = BPF_CORE_READ(dev, ifindex);
		m->mtu = BPF_CORE_READ(dev, mtu);
		m->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		BPF_CORE_READ_STR_INTO(&m->ifname, dev, name);
		if (q) {
			m->qlen = BPF_CORE_READ(q, q.qlen);
			bpf_probe_read_kernel_str(m->qdisc, sizeof(m->qdisc), BPF_CORE_READ(q, ops, id));
		}
	}
	head = BPF_CORE_READ(skb, head);
	end = BPF_CORE_READ(skb, end);
	shinfo = (void *)(head + end);
	m->gso_size = BPF_CORE_READ(shinfo, gso_size);
	m->nr_frags = BPF_CORE_READ(shinfo, nr_frags);
}

static __always_inline void read_ct_route(struct sk_buff *skb, struct skb_meta *m)
{
	unsigned long nfct = BPF_CORE_READ(skb, _nfct);
	unsigned long dst = BPF_CORE_READ(skb, _skb_refdst);
	struct nf_conn *ct = (void *)(nfct & ~7UL);
	struct rtable *rt = (void *)(dst & ~1UL);
	struct sock *sk = BPF_CORE_READ(skb, sk);

	if (ct) {
		m->ct_status = BPF_CORE_READ(ct, status);
		m->ct_mark = BPF_CORE_READ(ct, mark);
	}
	if (rt) {
		m->route_flags = BPF_CORE_READ(rt, dst.flags);
		if (BPF_CORE_READ(rt, dst.xfrm))
			m->xfrm_spi = BPF_CORE_READ(rt, dst.xfrm, id.spi);
	}
	if (sk) {
		m->sk_state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP)
			m->sk_rtt = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us);
		else if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_UDP)
			m->udp_pending = BPF_CORE_READ((struct udp_sock *)sk, pending);
	}
}

static __always_inline bool read_tuple(struct sk_buff *skb, struct tuple *t)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 l3 = BPF_CORE_READ(skb, network_header);
	__u16 l4 = BPF_CORE_READ(skb, transport_header);
	struct iphdr ip;
	struct udphdr uh;

	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + l3))
		return false;
	if (ip.version != 4)
		return false;
	t->saddr = ip.saddr;
	t->daddr = ip.daddr;
	t->proto = ip.protocol;
	if ((ip.protocol == IPPROTO_TCP || ip.protocol == IPPROTO_UDP) &&
	    !bpf_probe_read_kernel(&uh, sizeof(uh), head + l4)) {
		t->sport = uh.source;
		t->dport = uh.dest;
	}
	return true;
}

static __always_inline bool filter_pass(struct skb_meta *m, struct tuple *t)
{
	if (cfg.mark && m->mark != cfg.mark)
		return false;
	if (cfg.ifindex && m->ifindex != cfg.ifindex)
		return false;
	if (cfg.netns && m->netns != cfg.netns)
		return false;
	if (cfg.saddr && t->saddr != cfg.saddr)
		return false;
	if (cfg.daddr && t->daddr != cfg.daddr)
		return false;
	if (cfg.l4_proto && t->proto != cfg.l4_proto)
		return false;
	if (cfg.dport && t->dport != bpf_htons(cfg.dport))
		return false;
	return true;
}

static __noinline int handle_everything(struct sk_buff *skb, struct pt_regs *ctx)
{
	struct pwru_event *ev;
	__u64 skb_addr = (__u64)skb;
	__u32 zero = 0;
	__u8 one = 1;

	ev = bpf_map_lookup_elem(&event_heap, &zero);
	if (!ev)
		return 0;
	__builtin_memset(&ev->meta, 0, sizeof(ev->meta));
	__builtin_memset(&ev->tuple, 0, sizeof(ev->tuple));
	read_meta(skb, &ev->meta);
	read_tuple(skb, &ev->tuple);
	if (!bpf_map_lookup_elem(&skb_addresses, &skb_addr)) {
		if (!filter_pass(&ev->meta, &ev->tuple))
			return 0;
		bpf_map_update_elem(&skb_addresses, &skb_addr, &one, BPF_ANY);
	}
	if (cfg.output_ct)
		read_ct_route(skb, &ev->meta);
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->ts = bpf_ktime_get_ns();
	ev->addr = PT_REGS_IP(ctx);
	ev->skb_addr = skb_addr;
	ev->stack_id = cfg.output_stack ? bpf_get_stackid(ctx, &print_stack_map, 0) : -1;
	ev->dump_len = 0;
	if (cfg.output_skb) {
		struct btf_ptr p = { .ptr = skb, .type_id = bpf_core_type_id_kernel(struct sk_buff) };
		long n = bpf_snprintf_btf(ev->dump, sizeof(ev->dump), &p, sizeof(p), 0);

		ev->dump_len = n > 0 ? n : 0;
	}
	bpf_ringbuf_output(&events, ev, sizeof(*ev), 0);
	return 0;
}

#define PWRU_KPROBE(X)								\
	SEC("kprobe/skb-" #X)							\
	int kprobe_skb_##X(struct pt_regs *ctx)					\
	{									\
		struct sk_buff *skb = (struct sk_buff *)PT_REGS_PARM##X(ctx);	\
										\
		return handle_everything(skb, ctx);				\
	}

PWRU_KPROBE(1)
PWRU_KPROBE(2)
PWRU_KPROBE(3)
PWRU_KPROBE(4)
PWRU_KPROBE(5)

SEC("kprobe.multi/__kfree_skb")
int kprobe_multi_free(struct pt_regs *ctx)
{
	__u64 skb_addr = PT_REGS_PARM1(ctx);

	bpf_map_delete_elem(&skb_addresses, &skb_addr);
	return 0;
}

SEC("kretprobe/skb_clone")
int BPF_KRETPROBE(kretprobe_skb_clone, struct sk_buff *clone)
{
	__u64 addr = (__u64)clone;
	__u8 one = 1;

	if (clone)
		bpf_map_update_elem(&skb_addresses, &addr, &one, BPF_ANY);
	return 0;
}

SEC("tc")
int mark_tc(struct __sk_buff *skb)
{
	if (cfg.mark)
		skb->mark = cfg.mark;
	return RT_TC_ACT_OK;
}

SEC("xdp")
int mark_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
