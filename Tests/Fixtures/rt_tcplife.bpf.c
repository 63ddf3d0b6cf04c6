// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_tcplife.bpf.c - TCP session lifespans in the style of libbpf-tools'
 * tcplife / tcpstates (own code). Pattern: the sock:inet_sock_set_state
 * tracepoint records the birth time and owning process of each socket and,
 * on TCP_CLOSE, emits its lifetime with bytes in and out read from the
 * tcp_sock; a tp_btf variant of the same tracepoint exists for newer tools.
 * Covers: tracepoint/sock/inet_sock_set_state with its raw record
 * (addresses as byte arrays), SEC("tp_btf/inet_sock_set_state") taking a
 * struct sock *, BPF_CORE_READ on tcp_sock, a perf event array without
 * max_entries, const volatile filters including a port array and a
 * family selector, a HASH keyed by socket pointer, an LRU of idents.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define TCP_CLOSE_STATE		7
#define TCP_SYN_SENT_STATE	2
#define TCP_LAST_ACK_STATE	9
#define MAX_PORTS		16

struct ident {
	__u32 pid;
	char comm[TASK_COMM_LEN];
};

struct life_event {
	unsigned __int128 saddr;
	unsigned __int128 daddr;
	__u64 ts_us;
	__u64 span_us;
	__u64 rx_b;
	__u64 tx_b;
	__u32 pid;
	__u16 sport;
	__u16 dport;
	__u16 family;
	char comm[TASK_COMM_LEN];
};

const volatile bool filter_sport = false;
const volatile bool filter_dport = false;
const volatile __u16 target_sports[MAX_PORTS] = {};
const volatile __u16 target_dports[MAX_PORTS] = {};
const volatile pid_t target_pid = 0;
const volatile __u16 target_family = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct sock *);
	__type(value, __u64);
} birth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, struct sock *);
	__type(value, struct ident);
} idents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline bool port_in(const volatile __u16 *ports, __u16 port)
{
	int i;

	for (i = 0; i < MAX_PORTS; i++) {
		if (!ports[i])
			return false;
		if (ports[i] == port)
			return true;
	}
	return false;
}

static __always_inline int handle_state(void *ctx, struct sock *sk, int newstate, __u16 family,
					__u16 sport, __u16 dport, const void *saddr,
					const void *daddr, int addr_len)
{
	struct ident *identp, me = {};
	struct life_event ev = {};
	struct tcp_sock *tp;
	__u64 ts, *start;

	if (target_family && family != target_family)
		return 0;
	if (filter_sport && !port_in(target_sports, sport))
		return 0;
	if (filter_dport && !port_in(target_dports, dport))
		return 0;
	if (newstate < TCP_SYN_SENT_STATE || newstate == TCP_LAST_ACK_STATE) {
		ts = bpf_ktime_get_ns();
		bpf_map_update_elem(&birth, &sk, &ts, BPF_ANY);
	}
	if (newstate == TCP_SYN_SENT_STATE || newstate == TCP_LAST_ACK_STATE) {
		me.pid = bpf_get_current_pid_tgid() >> 32;
		if (target_pid && me.pid != target_pid)
			return 0;
		bpf_get_current_comm(me.comm, sizeof(me.comm));
		bpf_map_update_elem(&idents, &sk, &me, BPF_ANY);
	}
	if (newstate != TCP_CLOSE_STATE)
		return 0;

	start = bpf_map_lookup_elem(&birth, &sk);
	if (!start) {
		bpf_map_delete_elem(&idents, &sk);
		return 0;
	}
	ts = bpf_ktime_get_ns();
	ev.span_us = (ts - *start) / 1000;
	ev.ts_us = ts / 1000;
	identp = bpf_map_lookup_elem(&idents, &sk);
	ev.pid = identp ? identp->pid : bpf_get_current_pid_tgid() >> 32;
	if (target_pid && ev.pid != target_pid)
		goto cleanup;
	if (identp)
		__builtin_memcpy(ev.comm, identp->comm, sizeof(ev.comm));
	else
		bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	tp = (struct tcp_sock *)sk;
	ev.rx_b = BPF_CORE_READ(tp, bytes_received);
	ev.tx_b = BPF_CORE_READ(tp, bytes_acked);
	ev.family = family;
	ev.sport = sport;
	ev.dport = dport;
	if (addr_len == 4 || addr_len == 16) {
		bpf_probe_read_kernel(&ev.saddr, addr_len, saddr);
		bpf_probe_read_kernel(&ev.daddr, addr_len, daddr);
	}
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
cleanup:
	bpf_map_delete_elem(&birth, &sk);
	bpf_map_delete_elem(&idents, &sk);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *args)
{
	struct sock *sk = (struct sock *)args->skaddr;
	__u16 family = args->family;
	bool v4 = family == RT_AF_INET;

	if (args->protocol != IPPROTO_TCP)
		return 0;
	return handle_state(args, sk, args->newstate, family, args->sport, args->dport,
			    v4 ? (void *)args->saddr : (void *)args->saddr_v6,
			    v4 ? (void *)args->daddr : (void *)args->daddr_v6, v4 ? 4 : 16);
}

SEC("?tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state_btf, struct sock *sk, int oldstate, int newstate)
{
	__u16 family = sk->__sk_common.skc_family;
	bool v4 = family == RT_AF_INET;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	return handle_state(ctx, sk, newstate, family, sk->__sk_common.skc_num,
			    __builtin_bswap16(sk->__sk_common.skc_dport),
			    v4 ? (void *)&sk->__sk_common.skc_rcv_saddr : (void *)&sk->__sk_common.skc_v6_rcv_saddr,
			    v4 ? (void *)&sk->__sk_common.skc_daddr : (void *)&sk->__sk_common.skc_v6_daddr,
			    v4 ? 4 : 16);
}

char LICENSE[] SEC("license") = "GPL";
