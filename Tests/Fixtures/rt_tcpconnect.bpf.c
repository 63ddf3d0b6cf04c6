// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_tcpconnect.bpf.c - active TCP connection tracer in the style of
 * libbpf-tools' tcpconnect (own code). Pattern: BPF_KPROBE on
 * tcp_v4_connect/tcp_v6_connect stores the socket per thread, BPF_KRETPROBE
 * reads the addresses once the kernel filled them in, then either counts
 * per (saddr, daddr, dport) or emits a perf event.
 * Covers: BPF_KPROBE / BPF_KRETPROBE, a const volatile array tunable
 * (filter_ports[]) with its length, uid/pid filters, BPF_CORE_READ and
 * BPF_CORE_READ_INTO on sock_common (IPv4 and IPv6 addresses), a perf event
 * array without max_entries, two hash maps with struct keys, a static
 * noinline helper shared by both families.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define MAX_PORTS 8

struct conn_event {
	union {
		__u32 saddr_v4;
		__u8 saddr_v6[16];
	};
	union {
		__u32 daddr_v4;
		__u8 daddr_v6[16];
	};
	char task[TASK_COMM_LEN];
	__u64 ts_us;
	__u32 af;
	__u32 pid;
	__u32 uid;
	__u16 lport;
	__u16 dport;
};

struct ipv4_flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 dport;
};

struct ipv6_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 dport;
};

const volatile int filter_ports[MAX_PORTS];
const volatile int filter_ports_len = 0;
const volatile uid_t filter_uid = -1;
const volatile pid_t filter_pid = 0;
const volatile bool do_count = false;
const volatile bool source_port = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct sock *);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipv4_flow_key);
	__type(value, u64);
} ipv4_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipv6_flow_key);
	__type(value, u64);
} ipv6_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline bool port_filtered(__u16 port)
{
	int i;

	if (filter_ports_len == 0)
		return false;
	for (i = 0; i < filter_ports_len && i < MAX_PORTS; i++) {
		if (port == filter_ports[i])
			return false;
	}
	return true;
}

static __always_inline int enter_connect(struct sock *sk)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 pid = id >> 32, tid = (u32)id;
	u32 uid;

	if (filter_pid && pid != filter_pid)
		return 0;
	uid = bpf_get_current_uid_gid();
	if (filter_uid != (uid_t)-1 && uid != filter_uid)
		return 0;
	bpf_map_update_elem(&sockets, &tid, &sk, 0);
	return 0;
}

static __noinline void count_flow(struct sock *sk, int family, __u16 dport)
{
	static const u64 one = 1;
	u64 *val;

	if (family == RT_AF_INET) {
		struct ipv4_flow_key k4 = {};

		k4.saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		k4.daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		k4.dport = dport;
		val = bpf_map_lookup_elem(&ipv4_count, &k4);
		if (val)
			__sync_fetch_and_add(val, 1);
		else
			bpf_map_update_elem(&ipv4_count, &k4, &one, BPF_NOEXIST);
	} else {
		struct ipv6_flow_key k6 = {};

		BPF_CORE_READ_INTO(&k6.saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&k6.daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
		k6.dport = dport;
		val = bpf_map_lookup_elem(&ipv6_count, &k6);
		if (val)
			__sync_fetch_and_add(val, 1);
		else
			bpf_map_update_elem(&ipv6_count, &k6, &one, BPF_NOEXIST);
	}
}

static __always_inline void trace_event(void *ctx, struct sock *sk, int family, __u16 dport)
{
	struct conn_event ev = {};

	ev.af = family;
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.uid = bpf_get_current_uid_gid();
	ev.ts_us = bpf_ktime_get_ns() / 1000;
	ev.dport = dport;
	if (source_port)
		ev.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	bpf_get_current_comm(ev.task, sizeof(ev.task));
	if (family == RT_AF_INET) {
		ev.saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		ev.daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO(&ev.saddr_v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&ev.daddr_v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	}
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
}

static __always_inline int exit_connect(void *ctx, int ret, int family)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct sock **skpp, *sk;
	__u16 dport;

	skpp = bpf_map_lookup_elem(&sockets, &tid);
	if (!skpp)
		return 0;
	if (ret)
		goto end;
	sk = *skpp;
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (port_filtered(bpf_ntohs(dport)))
		goto end;
	if (do_count)
		count_flow(sk, family, dport);
	else
		trace_event(ctx, sk, family, dport);
end:
	bpf_map_delete_elem(&sockets, &tid);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcp_v4_connect, struct sock *sk)
{
	return enter_connect(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tcp_v4_connect_ret, int ret)
{
	return exit_connect(ctx, ret, RT_AF_INET);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(tcp_v6_connect, struct sock *sk)
{
	return enter_connect(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(tcp_v6_connect_ret, int ret)
{
	return exit_connect(ctx, ret, RT_AF_INET6);
}

char LICENSE[] SEC("license") = "GPL";
