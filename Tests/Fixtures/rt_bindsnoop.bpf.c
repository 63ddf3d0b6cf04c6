// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_bindsnoop.bpf.c - bind() tracer in the style of libbpf-tools'
 * bindsnoop (own code). Pattern: BPF_KPROBE on inet_bind/inet6_bind keeps
 * the socket per thread, BPF_KRETPROBE reports the bound address, port,
 * protocol and socket options.
 * Covers: BPF_CORE_READ_BITFIELD_PROBED on a ___o flavour of inet_sock whose
 * option bits were bitfields before 6.6 (byte offset/size/lshift/rshift
 * CO-RE relocations), bpf_core_field_exists picking inet_flags on newer
 * kernels, a const volatile bool array port filter indexed by port, a
 * pinned-free ports HASH the user fills, cgroup filter, perf event array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define OPT_FREEBIND	(1 << 0)
#define OPT_TRANSPARENT	(1 << 1)
#define OPT_BIND_ADDR_NO_PORT (1 << 2)
#define OPT_REUSEADDR	(1 << 3)
#define OPT_REUSEPORT	(1 << 4)

/* bit numbers in inet_sock::inet_flags (6.6+) */
#define RT_INET_FLAGS_FREEBIND		11
#define RT_INET_FLAGS_TRANSPARENT	15
#define RT_INET_FLAGS_BIND_ADDRESS_NO_PORT 18

struct bind_event {
	unsigned __int128 addr;
	__u64 ts_us;
	__u32 pid;
	__u32 bound_dev_if;
	int ret;
	__u16 port;
	__u16 proto;
	__u8 opts;
	__u8 ver;
	char task[TASK_COMM_LEN];
};

struct inet_sock___o {
	__u8 freebind: 1;
	__u8 hdrincl: 1;
	__u8 mc_loop: 1;
	__u8 transparent: 1;
	__u8 mc_all: 1;
	__u8 nodefrag: 1;
	__u8 bind_address_no_port: 1;
	__u8 recverr_rfc4884: 1;
	__u8 defer_connect: 1;
} __attribute__((preserve_access_index));

struct inet_sock___x {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

const volatile pid_t target_pid = 0;
const volatile bool ignore_errors = true;
const volatile bool filter_by_port = false;
const volatile bool filter_cg = false;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct socket *);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u16);
	__type(value, u16);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

static __always_inline __u8 socket_options(struct sock *sk)
{
	struct inet_sock___x *inx = (void *)sk;
	struct inet_sock___o *ino = (void *)sk;
	__u8 opts = 0;

	if (bpf_core_field_exists(inx->inet_flags)) {
		unsigned long flags = BPF_CORE_READ(inx, inet_flags);

		if (flags & (1UL << RT_INET_FLAGS_FREEBIND))
			opts |= OPT_FREEBIND;
		if (flags & (1UL << RT_INET_FLAGS_TRANSPARENT))
			opts |= OPT_TRANSPARENT;
		if (flags & (1UL << RT_INET_FLAGS_BIND_ADDRESS_NO_PORT))
			opts |= OPT_BIND_ADDR_NO_PORT;
	} else {
		if (BPF_CORE_READ_BITFIELD_PROBED(ino, freebind))
			opts |= OPT_FREEBIND;
		if (BPF_CORE_READ_BITFIELD_PROBED(ino, transparent))
			opts |= OPT_TRANSPARENT;
		if (BPF_CORE_READ_BITFIELD_PROBED(ino, bind_address_no_port))
			opts |= OPT_BIND_ADDR_NO_PORT;
	}
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuse))
		opts |= OPT_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_reuseport))
		opts |= OPT_REUSEPORT;
	return opts;
}

static __always_inline int probe_entry(struct socket *sock)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = (u32)id;

	if (target_pid && target_pid != (id >> 32))
		return 0;
	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	bpf_map_update_elem(&sockets, &tid, &sock, BPF_ANY);
	return 0;
}

static __always_inline int probe_exit(struct pt_regs *ctx, short ver)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct bind_event ev = {};
	struct socket **sockp, *sock;
	struct sock *sk;
	int ret;
	__u16 sport;

	sockp = bpf_map_lookup_elem(&sockets, &tid);
	if (!sockp)
		return 0;
	ret = PT_REGS_RC(ctx);
	if (ignore_errors && ret != 0)
		goto cleanup;
	sock = *sockp;
	sk = BPF_CORE_READ(sock, sk);
	sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	if (filter_by_port && !bpf_map_lookup_elem(&ports, &sport))
		goto cleanup;

	ev.ts_us = bpf_ktime_get_ns() / 1000;
	ev.pid = bpf_get_current_pid_tgid() >> 32;
	ev.port = sport;
	ev.bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	ev.ret = ret;
	ev.proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	ev.opts = socket_options(sk);
	ev.ver = ver;
	if (ver == 4)
		ev.addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	else
		BPF_CORE_READ_INTO(&ev.addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	bpf_get_current_comm(ev.task, sizeof(ev.task));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
cleanup:
	bpf_map_delete_elem(&sockets, &tid);
	return 0;
}

SEC("kprobe/inet_bind")
int BPF_KPROBE(ipv4_bind_entry, struct socket *socket)
{
	return probe_entry(socket);
}

SEC("kretprobe/inet_bind")
int BPF_KRETPROBE(ipv4_bind_exit)
{
	return probe_exit(ctx, 4);
}

SEC("kprobe/inet6_bind")
int BPF_KPROBE(ipv6_bind_entry, struct socket *socket)
{
	return probe_entry(socket);
}

SEC("kretprobe/inet6_bind")
int BPF_KRETPROBE(ipv6_bind_exit)
{
	return probe_exit(ctx, 6);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
