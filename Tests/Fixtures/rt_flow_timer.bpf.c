// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_flow_timer.bpf.c - per-flow accounting with idle timeouts in the style
 * of tc-based flow monitors / katran's and the selftests' bpf_timer users
 * (own code). Pattern: a tc program keeps per-flow counters in a hash whose
 * values embed a bpf_spin_lock and a bpf_timer; the first packet of a flow
 * arms the timer, whose callback expires idle flows and folds them into a
 * global summary; a second, array-held timer flushes rates periodically.
 * Covers: struct bpf_timer and struct bpf_spin_lock in map values,
 * bpf_timer_init / bpf_timer_set_callback / bpf_timer_start /
 * bpf_timer_cancel, static callbacks (timer callbacks are subprograms
 * referenced by ld_imm64 BPF_PSEUDO_FUNC), bpf_spin_lock/unlock, a global
 * spin-locked summary in an ARRAY, CLOCK_MONOTONIC/BOOTTIME clocks, two
 * tc programs (ingress, egress) sharing subprograms.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define CLOCK_MONOTONIC	1
#define CLOCK_BOOTTIME	7
#define FLOW_IDLE_NS	(30 * NSEC_PER_SEC)
#define FLUSH_NS	(1 * NSEC_PER_SEC)

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 dir;
	__u16 pad;
};

struct flow_val {
	struct bpf_spin_lock lock;
	struct bpf_timer timer;
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;
	__u32 armed;
};

struct summary {
	struct bpf_spin_lock lock;
	struct bpf_timer flush;
	__u64 expired_flows;
	__u64 expired_bytes;
	__u64 flushes;
	__u32 started;
};

const volatile __u64 idle_timeout_ns = FLOW_IDLE_NS;
const volatile __u64 flush_interval_ns = FLUSH_NS;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct summary);
} summary_map SEC(".maps");

static int flush_cb(void *map, __u32 *key, struct summary *sum)
{
	bpf_spin_lock(&sum->lock);
	sum->flushes++;
	bpf_spin_unlock(&sum->lock);
	bpf_timer_start(&sum->flush, flush_interval_ns, 0);
	return 0;
}

static int expire_cb(void *map, struct flow_key *key, struct flow_val *val)
{
	__u32 zero = 0;
	struct summary *sum;
	__u64 now = bpf_ktime_get_ns(), bytes;

	bpf_spin_lock(&val->lock);
	if (now - val->last_ns < idle_timeout_ns) {
		bpf_spin_unlock(&val->lock);
		bpf_timer_start(&val->timer, idle_timeout_ns, 0);
		return 0;
	}
	bytes = val->bytes;
	bpf_spin_unlock(&val->lock);

	sum = bpf_map_lookup_elem(&summary_map, &zero);
	if (sum) {
		bpf_spin_lock(&sum->lock);
		sum->expired_flows++;
		sum->expired_bytes += bytes;
		bpf_spin_unlock(&sum->lock);
	}
	bpf_map_delete_elem(map, key);
	return 0;
}

static __noinline void ensure_flusher(void)
{
	__u32 zero = 0;
	struct summary *sum = bpf_map_lookup_elem(&summary_map, &zero);

	if (!sum || sum->started)
		return;
	sum->started = 1;
	if (bpf_timer_init(&sum->flush, &summary_map, CLOCK_BOOTTIME))
		return;
	bpf_timer_set_callback(&sum->flush, flush_cb);
	bpf_timer_start(&sum->flush, flush_interval_ns, 0);
}

static __always_inline int account(struct __sk_buff *skb, __u8 dir)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip4 = data + RT_ETH_HLEN;
	struct flow_key key = {};
	struct flow_val fresh = {}, *val;
	struct udphdr *l4;
	__u64 now;

	if (skb->protocol != bpf_htons(RT_ETH_P_IP) || (void *)(ip4 + 1) > data_end)
		return RT_TC_ACT_OK;
	key.saddr = ip4->saddr;
	key.daddr = ip4->daddr;
	key.proto = ip4->protocol;
	key.dir = dir;
	l4 = (void *)(ip4 + 1);
	if ((void *)(l4 + 1) <= data_end) {
		key.sport = l4->source;
		key.dport = l4->dest;
	}

	ensure_flusher();
	now = bpf_ktime_get_ns();
	val = bpf_map_lookup_elem(&flows, &key);
	if (!val) {
		fresh.first_ns = now;
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&flows, &key);
		if (!val)
			return RT_TC_ACT_OK;
	}
	bpf_spin_lock(&val->lock);
	val->last_ns = now;
	val->packets++;
	val->bytes += skb->len;
	bpf_spin_unlock(&val->lock);

	if (!val->armed) {
		val->armed = 1;
		if (bpf_timer_init(&val->timer, &flows, CLOCK_MONOTONIC) == 0) {
			bpf_timer_set_callback(&val->timer, expire_cb);
			bpf_timer_start(&val->timer, idle_timeout_ns, 0);
		}
	}
	if (skb->mark == 0xdead)
		bpf_timer_cancel(&val->timer);
	return RT_TC_ACT_OK;
}

SEC("tc")
int flow_ingress(struct __sk_buff *skb)
{
	return account(skb, 0);
}

SEC("tc")
int flow_egress(struct __sk_buff *skb)
{
	return account(skb, 1);
}

char LICENSE[] SEC("license") = "GPL";
