// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_tetragon_sensors.bpf.c - the auxiliary sensors of a runtime security
 * agent in the style of Tetragon's bpf_prog/map, mount, kernel-read,
 * perf-event, cgroup and TCP-state sensors (own code). Pattern: one kprobe
 * per security_* hook reads the kernel objects involved (struct bpf_prog,
 * bpf_map, union bpf_attr, perf_event and its pmu, super_block and
 * file_system_type, cgroup and cgroup_root, sock/tcp_sock with its
 * congestion ops and network namespace sysctls) into a per-CPU heap and
 * ships it on a ring buffer; policy knobs are const volatile.
 * Covers: many kernel struct types in BTF (the object's .BTF is well over
 * 100 KiB), kprobes on security_* hooks with BPF_KPROBE, tp_btf
 * cgroup_attach_task, kretprobe on inet_csk_accept, raw_tp/sys_enter with
 * pt_regs, bpf_core_field_exists for fields added over time (bpf_prog_aux
 * attach_func_name, perf_event attr.sig_data, struct net ipv4 sysctls),
 * BPF_CORE_READ_STR_INTO, bpf_probe_read_kernel_str, a 16 KiB PERCPU_ARRAY
 * heap, a ring buffer, an LRU of socket cookies, a .bss of counters.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define NAME_LEN 64

enum sensor_kind {
	S_BPF_PROG = 1,
	S_BPF_MAP,
	S_PERF_EVENT,
	S_MOUNT,
	S_KERNEL_READ,
	S_CGROUP_ATTACH,
	S_TCP_STATE,
	S_ACCEPT,
	S_SYSCALL,
};

struct sensor_event {
	__u64 ts;
	__u32 kind;
	__u32 pid;
	__u64 cgroup_id;
	__u64 u64s[8];
	__u32 u32s[8];
	char comm[TASK_COMM_LEN];
	char name1[NAME_LEN];
	char name2[NAME_LEN];
	char name3[NAME_LEN];
};

const volatile bool watch_bpf = true;
const volatile bool watch_mounts = true;
const volatile bool watch_tcp = true;
const volatile __u32 syscall_nr_filter = 0;

__u64 sensor_hits[16];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sensor_event);
} sensor_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} sensor_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} sock_cookies SEC(".maps");

static __always_inline struct sensor_event *begin(enum sensor_kind kind)
{
	__u32 zero = 0;
	struct sensor_event *e = bpf_map_lookup_elem(&sensor_heap, &zero);

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = bpf_ktime_get_ns();
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (kind < 16)
		__sync_fetch_and_add(&sensor_hits[kind], 1);
	return e;
}

static __always_inline void finish(struct sensor_event *e)
{
	bpf_ringbuf_output(&sensor_events, e, sizeof(*e), 0);
}

SEC("kprobe/security_bpf_prog_load")
int BPF_KPROBE(on_bpf_prog_load, struct bpf_prog *prog, union bpf_attr *attr)
{
	struct bpf_prog_aux *aux;
	struct sensor_event *e;

	if (!watch_bpf || !(e = begin(S_BPF_PROG)))
		return 0;
	aux = BPF_CORE_READ(prog, aux);
	e->u32s[0] = BPF_CORE_READ(prog, type);
	e->u32s[1] = BPF_CORE_READ(prog, expected_attach_type);
	e->u32s[2] = BPF_CORE_READ(prog, len);
	e->u32s[3] = BPF_CORE_READ(attr, prog_flags);
	e->u32s[4] = BPF_CORE_READ(attr, attach_btf_id);
	e->u32s[5] = BPF_CORE_READ(aux, id);
	e->u64s[0] = BPF_CORE_READ(attr, insns);
	BPF_CORE_READ_STR_INTO(&e->name1, attr, prog_name);
	if (bpf_core_field_exists(aux->attach_func_name))
		bpf_probe_read_kernel_str(e->name2, sizeof(e->name2), BPF_CORE_READ(aux, attach_func_name));
	finish(e);
	return 0;
}

SEC("kprobe/security_bpf_map_create")
int BPF_KPROBE(on_bpf_map_create, struct bpf_map *map, union bpf_attr *attr)
{
	struct sensor_event *e;

	if (!watch_bpf || !(e = begin(S_BPF_MAP)))
		return 0;
	e->u32s[0] = BPF_CORE_READ(map, map_type);
	e->u32s[1] = BPF_CORE_READ(map, key_size);
	e->u32s[2] = BPF_CORE_READ(map, value_size);
	e->u32s[3] = BPF_CORE_READ(map, max_entries);
	e->u32s[4] = BPF_CORE_READ(attr, map_flags);
	e->u32s[5] = BPF_CORE_READ(attr, btf_fd);
	BPF_CORE_READ_STR_INTO(&e->name1, attr, map_name);
	finish(e);
	return 0;
}

SEC("kprobe/security_perf_event_alloc")
int BPF_KPROBE(on_perf_event_alloc, struct perf_event *event)
{
	struct sensor_event *e;
	struct pmu *pmu;

	if (!(e = begin(S_PERF_EVENT)))
		return 0;
	e->u32s[0] = BPF_CORE_READ(event, attr.type);
	e->u64s[0] = BPF_CORE_READ(event, attr.config);
	e->u64s[1] = BPF_CORE_READ(event, attr.sample_period);
	e->u64s[2] = BPF_CORE_READ(event, attr.bp_addr);
	if (bpf_core_field_exists(event->attr.sig_data))
		e->u64s[3] = BPF_CORE_READ(event, attr.sig_data);
	pmu = BPF_CORE_READ(event, pmu);
	e->u32s[1] = BPF_CORE_READ(pmu, type);
	e->u32s[2] = BPF_CORE_READ(pmu, capabilities);
	bpf_probe_read_kernel_str(e->name1, sizeof(e->name1), BPF_CORE_READ(pmu, name));
	finish(e);
	return 0;
}

SEC("kprobe/security_sb_mount")
int BPF_KPROBE(on_sb_mount, const char *dev_name, const struct path *path, const char *type,
	       unsigned long flags)
{
	struct super_block *sb;
	struct sensor_event *e;

	if (!watch_mounts || !(e = begin(S_MOUNT)))
		return 0;
	e->u64s[0] = flags;
	bpf_probe_read_kernel_str(e->name1, sizeof(e->name1), dev_name);
	bpf_probe_read_kernel_str(e->name2, sizeof(e->name2), type);
	sb = BPF_CORE_READ(path, mnt, mnt_sb);
	e->u64s[1] = BPF_CORE_READ(sb, s_magic);
	e->u64s[2] = BPF_CORE_READ(sb, s_flags);
	e->u64s[3] = BPF_CORE_READ(sb, s_dev);
	BPF_CORE_READ_STR_INTO(&e->name3, sb, s_id);
	e->u32s[0] = BPF_CORE_READ(sb, s_type, fs_flags);
	finish(e);
	return 0;
}

SEC("kprobe/security_kernel_read_file")
int BPF_KPROBE(on_kernel_read_file, struct file *file, enum kernel_read_file_id id, bool contents)
{
	struct sensor_event *e;
	struct inode *inode;

	if (!(e = begin(S_KERNEL_READ)))
		return 0;
	e->u32s[0] = id;
	e->u32s[1] = contents;
	inode = BPF_CORE_READ(file, f_inode);
	e->u64s[0] = BPF_CORE_READ(inode, i_ino);
	e->u64s[1] = BPF_CORE_READ(inode, i_size);
	e->u32s[2] = BPF_CORE_READ(inode, i_mode);
	e->u32s[3] = BPF_CORE_READ(file, f_mode);
	bpf_probe_read_kernel_str(e->name1, sizeof(e->name1), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	BPF_CORE_READ_STR_INTO(&e->name2, inode, i_sb, s_id);
	finish(e);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(on_cgroup_attach, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	struct cgroup_root *root;
	struct sensor_event *e;

	if (!(e = begin(S_CGROUP_ATTACH)))
		return 0;
	e->u32s[0] = task->pid;
	e->u32s[1] = threadgroup;
	e->u32s[2] = dst->level;
	e->u64s[0] = dst->kn->id;
	root = dst->root;
	e->u32s[3] = root->hierarchy_id;
	e->u32s[4] = root->subsys_mask;
	bpf_probe_read_kernel_str(e->name1, sizeof(e->name1), path);
	bpf_probe_read_kernel_str(e->name2, sizeof(e->name2), root->name);
	e->u64s[1] = task->cgroups->dfl_cgrp->kn->id;
	finish(e);
	return 0;
}

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(on_tcp_set_state, struct sock *sk, int state)
{
	struct inet_connection_sock *icsk = (void *)sk;
	struct tcp_sock *tp = (void *)sk;
	struct sensor_event *e;
	struct net *net;
	__u64 cookie;

	if (!watch_tcp || !(e = begin(S_TCP_STATE)))
		return 0;
	e->u32s[0] = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->u32s[1] = state;
	e->u32s[2] = BPF_CORE_READ(tp, srtt_us) >> 3;
	e->u32s[3] = BPF_CORE_READ(tp, total_retrans);
	e->u32s[4] = BPF_CORE_READ(tp, snd_cwnd);
	e->u64s[0] = BPF_CORE_READ(tp, bytes_acked);
	e->u64s[1] = BPF_CORE_READ(tp, bytes_received);
	e->u64s[2] = BPF_CORE_READ(tp, segs_out);
	e->u64s[3] = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	BPF_CORE_READ_STR_INTO(&e->name1, icsk, icsk_ca_ops, name);
	net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	e->u32s[5] = BPF_CORE_READ(net, ns.inum);
	e->u32s[6] = BPF_CORE_READ(net, ipv4.sysctl_tcp_ecn);
	e->u32s[7] = BPF_CORE_READ(net, ipv4.sysctl_ip_default_ttl);
	cookie = e->u64s[3];
	if (state == 7 /* TCP_CLOSE */)
		bpf_map_delete_elem(&sock_cookies, &cookie);
	else
		bpf_map_update_elem(&sock_cookies, &cookie, &e->ts, BPF_ANY);
	finish(e);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(on_accept_ret, struct sock *newsk)
{
	struct sensor_event *e;

	if (!newsk || !(e = begin(S_ACCEPT)))
		return 0;
	e->u32s[0] = BPF_CORE_READ(newsk, __sk_common.skc_family);
	e->u32s[1] = BPF_CORE_READ(newsk, __sk_common.skc_num);
	e->u32s[2] = BPF_CORE_READ(newsk, __sk_common.skc_dport);
	e->u32s[3] = BPF_CORE_READ(newsk, __sk_common.skc_daddr);
	e->u32s[4] = BPF_CORE_READ(newsk, sk_backlog.len);
	finish(e);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	struct sensor_event *e;

	if (!syscall_nr_filter || id != syscall_nr_filter || !(e = begin(S_SYSCALL)))
		return 0;
	e->u64s[0] = id;
	e->u64s[1] = BPF_CORE_READ(regs, di);
	e->u64s[2] = BPF_CORE_READ(regs, si);
	e->u64s[3] = BPF_CORE_READ(regs, dx);
	finish(e);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
