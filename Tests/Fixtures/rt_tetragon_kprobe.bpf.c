// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_tetragon_kprobe.bpf.c - a generic, policy-driven kprobe sensor in the
 * style of Tetragon's bpf_generic_kprobe and bpf_execve_event (own code).
 * Pattern: one kprobe entry program snapshots the calling process from a
 * process cache, then tail-calls through a program array into stages that
 * decode arguments (files, sockets, creds), run filters whose per-policy
 * value sets live in a hash of maps, and emit a large event built in a
 * per-CPU heap; tp_btf exec/fork/exit programs maintain the cache with full
 * credentials, capabilities and namespace inodes.
 * Covers: kprobe tail-call stages (PROG_ARRAY of kprobe programs, none
 * initialised), PERCPU_ARRAY heap with a large value, HASH_OF_MAPS with an
 * inner HASH template, a perf event array without max_entries, a LRU
 * process cache, BPF_CORE_READ chains through task_struct, cred,
 * user_namespace, nsproxy and every namespace, mm->exe_file->f_path,
 * dentry walks, sock/tcp_sock/sk_buff/net_device fields, linux_binprm;
 * bpf_core_enum_value_exists on enum bpf_func_id, bpf_core_field_exists,
 * LINUX_KERNEL_VERSION, CONFIG_* kconfig externs; many kernel types in BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define MAX_ARGS	5
#define ARG_BUF		1024
#define PATH_DEPTH	12
#define DNAME_LEN	64
#define TAIL_DECODE	0
#define TAIL_FILTER	1
#define TAIL_SOCK	2
#define TAIL_EMIT	3

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_SECURITY __kconfig __weak;
extern bool CONFIG_USER_NS __kconfig __weak;

enum arg_type {
	ARG_NONE,
	ARG_INT,
	ARG_STRING,
	ARG_FILE,
	ARG_PATH,
	ARG_SOCK,
	ARG_SKB,
	ARG_CRED,
	ARG_NET_DEV,
};

struct caps {
	__u64 permitted;
	__u64 effective;
	__u64 inheritable;
	__u64 ambient;
	__u64 bset;
};

struct namespaces {
	__u32 uts;
	__u32 ipc;
	__u32 mnt;
	__u32 pid;
	__u32 pid_for_children;
	__u32 net;
	__u32 time;
	__u32 time_for_children;
	__u32 cgroup;
	__u32 user;
};

struct cred_snapshot {
	__u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
	__u32 securebits;
	__u32 user_ns_level;
	__u64 user_ns_owner;
	struct caps caps;
};

struct process_info {
	__u32 pid;
	__u32 tid;
	__u32 ppid;
	__u32 nspid;
	__u64 ktime;
	__u64 cgroup_id;
	__u32 flags;
	__u32 auid;
	struct cred_snapshot creds;
	struct namespaces ns;
	char comm[TASK_COMM_LEN];
	char exe[DNAME_LEN * 2];
};

struct event_config {
	__u32 func_id;
	__s32 arg_types[MAX_ARGS];
	__u32 arg_index[MAX_ARGS];
	__u32 policy_id;
	__u32 flags;
	__u64 syscall_nr;
};

struct sock_info {
	__u32 family;
	__u32 state;
	__u32 type;
	__u32 protocol;
	__u32 mark;
	__u32 priority;
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 srtt_us;
	__u32 snd_cwnd;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 ifindex;
	__u32 mtu;
	__u32 skb_len;
	__u32 skb_hash;
	char ifname[16];
};

struct generic_event {
	__u64 ts;
	__u64 func_ip;
	__u32 func_id;
	__u32 action;
	__u32 args_len;
	__u32 tail_depth;
	struct process_info proc;
	struct process_info parent;
	struct sock_info sock;
	__u64 int_args[MAX_ARGS];
	char args[ARG_BUF];
};

struct selector_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u8);
} sel_inner_tmpl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 13);
	__type(key, __u32);
	__type(value, __u32);
} kprobe_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct generic_event);
} process_call_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_config);
} config_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 64);
	__type(key, __u32);
	__array(values, struct selector_inner);
} sel_names_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct process_info);
} execve_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, int);
	__type(value, __u32);
} tcpmon_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} sensor_stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&sensor_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void read_caps(const struct cred *cred, struct caps *caps)
{
	caps->permitted = BPF_CORE_READ(cred, cap_permitted.val);
	caps->effective = BPF_CORE_READ(cred, cap_effective.val);
	caps->inheritable = BPF_CORE_READ(cred, cap_inheritable.val);
	caps->ambient = BPF_CORE_READ(cred, cap_ambient.val);
	caps->bset = BPF_CORE_READ(cred, cap_bset.val);
}

static __always_inline void read_creds(const struct cred *cred, struct cred_snapshot *c)
{
	struct user_namespace *ns;

	c->uid = BPF_CORE_READ(cred, uid.val);
	c->gid = BPF_CORE_READ(cred, gid.val);
	c->suid = BPF_CORE_READ(cred, suid.val);
	c->sgid = BPF_CORE_READ(cred, sgid.val);
	c->euid = BPF_CORE_READ(cred, euid.val);
	c->egid = BPF_CORE_READ(cred, egid.val);
	c->fsuid = BPF_CORE_READ(cred, fsuid.val);
	c->fsgid = BPF_CORE_READ(cred, fsgid.val);
	c->securebits = BPF_CORE_READ(cred, securebits);
	ns = BPF_CORE_READ(cred, user_ns);
	if (CONFIG_USER_NS && ns) {
		c->user_ns_level = BPF_CORE_READ(ns, level);
		c->user_ns_owner = BPF_CORE_READ(ns, owner.val);
	}
	read_caps(cred, &c->caps);
}

static __always_inline void read_namespaces(struct task_struct *task, struct namespaces *ns)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);

	if (!nsp)
		return;
	ns->uts = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	ns->ipc = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	ns->mnt = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	ns->pid_for_children = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	ns->net = BPF_CORE_READ(nsp, net_ns, ns.inum);
	ns->time = BPF_CORE_READ(nsp, time_ns, ns.inum);
	ns->time_for_children = BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	ns->cgroup = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	ns->user = BPF_CORE_READ(task, cred, user_ns, ns.inum);
	{
		struct pid *pid = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);

		ns->pid = BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
	}
}

static __always_inline void read_dentry_name(struct dentry *d, char *buf)
{
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);

	bpf_probe_read_kernel_str(buf, DNAME_LEN, name);
}

static __always_inline void read_exe(struct task_struct *task, char *buf)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct dentry *d, *parent;

	if (!exe)
		return;
	d = BPF_CORE_READ(exe, f_path.dentry);
	parent = BPF_CORE_READ(d, d_parent);
	read_dentry_name(parent, buf);
	read_dentry_name(d, buf + DNAME_LEN);
}

static __always_inline void fill_process(struct task_struct *task, struct process_info *p)
{
	struct pid *tpid;

	p->pid = BPF_CORE_READ(task, tgid);
	p->tid = BPF_CORE_READ(task, pid);
	p->ppid = BPF_CORE_READ(task, real_parent, tgid);
	tpid = BPF_CORE_READ(task, thread_pid);
	p->nspid = BPF_CORE_READ(tpid, numbers[0].nr);
	p->ktime = BPF_CORE_READ(task, start_time);
	p->flags = BPF_CORE_READ(task, flags);
	p->auid = BPF_CORE_READ(task, loginuid.val);
	p->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&p->comm, task, comm);
	read_creds(BPF_CORE_READ(task, real_cred), &p->creds);
	read_namespaces(task, &p->ns);
	read_exe(task, p->exe);
}

static __always_inline struct generic_event *heap(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&process_call_heap, &zero);
}

SEC("kprobe/generic_kprobe")
int generic_kprobe_event(struct pt_regs *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct generic_event *e = heap();
	struct process_info *cached;
	__u32 zero = 0, pid;
	struct event_config *cfg;

	if (!e)
		return 0;
	cfg = bpf_map_lookup_elem(&config_map, &zero);
	if (!cfg)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->func_ip = PT_REGS_IP(ctx);
	e->func_id = cfg->func_id;
	e->tail_depth = 0;
	e->args_len = 0;
	pid = bpf_get_current_pid_tgid() >> 32;
	cached = bpf_map_lookup_elem(&execve_map, &pid);
	if (cached)
		__builtin_memcpy(&e->proc, cached, sizeof(e->proc));
	else
		fill_process(task, &e->proc);
	e->int_args[0] = PT_REGS_PARM1(ctx);
	e->int_args[1] = PT_REGS_PARM2(ctx);
	e->int_args[2] = PT_REGS_PARM3(ctx);
	e->int_args[3] = PT_REGS_PARM4(ctx);
	e->int_args[4] = PT_REGS_PARM5(ctx);
	stat_inc(0);
	bpf_tail_call(ctx, &kprobe_calls, TAIL_DECODE);
	stat_inc(1);
	return 0;
}

SEC("kprobe")
int generic_kprobe_process_event(struct pt_regs *ctx)
{
	struct generic_event *e = heap();
	struct event_config *cfg;
	__u32 zero = 0, i, off = 0;

	if (!e)
		return 0;
	cfg = bpf_map_lookup_elem(&config_map, &zero);
	if (!cfg)
		return 0;
	e->tail_depth++;
	for (i = 0; i < MAX_ARGS; i++) {
		__u64 arg = e->int_args[i];
		long n = 0;

		switch (cfg->arg_types[i]) {
		case ARG_STRING:
			if (off < ARG_BUF - 256)
				n = bpf_probe_read_kernel_str(&e->args[off], 256, (void *)arg);
			break;
		case ARG_FILE: {
			struct file *f = (void *)arg;
			struct dentry *d = BPF_CORE_READ(f, f_path.dentry);

			if (off < ARG_BUF - DNAME_LEN)
				n = bpf_probe_read_kernel_str(&e->args[off], DNAME_LEN,
							      BPF_CORE_READ(d, d_name.name));
			break;
		}
		case ARG_PATH: {
			struct path *p = (void *)arg;
			struct dentry *d = BPF_CORE_READ(p, dentry);
			struct super_block *sb = BPF_CORE_READ(d, d_sb);

			e->int_args[i] = BPF_CORE_READ(sb, s_magic);
			break;
		}
		case ARG_CRED: {
			struct cred_snapshot c = {};

			read_creds((void *)arg, &c);
			e->int_args[i] = ((__u64)c.euid << 32) | c.uid;
			break;
		}
		default:
			break;
		}
		if (n > 0)
			off += n;
	}
	e->args_len = off;
	bpf_tail_call(ctx, &kprobe_calls, TAIL_FILTER);
	return 0;
}

SEC("kprobe")
int generic_kprobe_filter_arg(struct pt_regs *ctx)
{
	struct generic_event *e = heap();
	struct event_config *cfg;
	__u32 zero = 0;
	void *values;
	__u64 key;

	if (!e)
		return 0;
	cfg = bpf_map_lookup_elem(&config_map, &zero);
	if (!cfg)
		return 0;
	e->tail_depth++;
	values = bpf_map_lookup_elem(&sel_names_map, &cfg->policy_id);
	if (values) {
		key = e->int_args[0];
		if (!bpf_map_lookup_elem(values, &key)) {
			stat_inc(2);
			return 0;
		}
	}
	if (cfg->arg_types[0] == ARG_SOCK || cfg->arg_types[0] == ARG_SKB)
		bpf_tail_call(ctx, &kprobe_calls, TAIL_SOCK);
	bpf_tail_call(ctx, &kprobe_calls, TAIL_EMIT);
	return 0;
}

SEC("kprobe")
int generic_kprobe_sock(struct pt_regs *ctx)
{
	struct generic_event *e = heap();
	struct tcp_sock *tp;
	struct sk_buff *skb;
	struct net_device *dev;
	struct sock *sk;
	__u32 zero = 0;
	struct event_config *cfg;

	if (!e)
		return 0;
	cfg = bpf_map_lookup_elem(&config_map, &zero);
	if (!cfg)
		return 0;
	e->tail_depth++;
	if (cfg->arg_types[0] == ARG_SKB) {
		skb = (void *)e->int_args[0];
		sk = BPF_CORE_READ(skb, sk);
		dev = BPF_CORE_READ(skb, dev);
		e->sock.skb_len = BPF_CORE_READ(skb, len);
		e->sock.skb_hash = BPF_CORE_READ(skb, hash);
		e->sock.mark = BPF_CORE_READ(skb, mark);
		e->sock.priority = BPF_CORE_READ(skb, priority);
		if (dev) {
			e->sock.ifindex = BPF_CORE_READ(dev, ifindex);
			e->sock.mtu = BPF_CORE_READ(dev, mtu);
			BPF_CORE_READ_STR_INTO(&e->sock.ifname, dev, name);
		}
	} else {
		sk = (void *)e->int_args[0];
	}
	if (!sk)
		goto emit;
	e->sock.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sock.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->sock.type = BPF_CORE_READ(sk, sk_type);
	e->sock.protocol = BPF_CORE_READ(sk, sk_protocol);
	e->sock.saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	e->sock.daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	e->sock.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->sock.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (e->sock.protocol == IPPROTO_TCP) {
		tp = (void *)sk;
		e->sock.srtt_us = BPF_CORE_READ(tp, srtt_us);
		e->sock.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
		e->sock.bytes_acked = BPF_CORE_READ(tp, bytes_acked);
		e->sock.bytes_received = BPF_CORE_READ(tp, bytes_received);
	}
emit:
	bpf_tail_call(ctx, &kprobe_calls, TAIL_EMIT);
	return 0;
}

SEC("kprobe")
int generic_kprobe_output(struct pt_regs *ctx)
{
	struct generic_event *e = heap();
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 size;

	if (!e)
		return 0;
	e->tail_depth++;
	fill_process(BPF_CORE_READ(task, real_parent), &e->parent);
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_func_ip))
		e->action = 1;
	size = offsetof(struct generic_event, args) + (e->args_len & (ARG_BUF - 1));
	if (size > sizeof(*e))
		size = sizeof(*e);
	bpf_perf_event_output(ctx, &tcpmon_map, BPF_F_CURRENT_CPU, e, size);
	stat_inc(3);
	return 0;
}

SEC("kretprobe/generic_retkprobe")
int generic_retkprobe_event(struct pt_regs *ctx)
{
	struct generic_event *e = heap();

	if (!e)
		return 0;
	e->int_args[0] = PT_REGS_RC(ctx);
	e->ts = bpf_ktime_get_ns();
	bpf_tail_call(ctx, &kprobe_calls, TAIL_EMIT);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(event_execve, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct generic_event *e = heap();
	__u32 pid;

	if (!e)
		return 0;
	__builtin_memset(&e->proc, 0, sizeof(e->proc));
	fill_process(task, &e->proc);
	/* the binary about to run, which may differ from the exe link on exec of scripts */
	bpf_probe_read_kernel_str(e->proc.exe, sizeof(e->proc.exe), BPF_CORE_READ(bprm, filename));
	if (bpf_core_field_exists(bprm->cred))
		read_creds(BPF_CORE_READ(bprm, cred), &e->proc.creds);
	pid = e->proc.pid;
	bpf_map_update_elem(&execve_map, &pid, &e->proc, BPF_ANY);
	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(5, 10, 0) && CONFIG_SECURITY)
		e->action = BPF_CORE_READ(bprm, per_clear);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(event_fork, struct task_struct *parent, struct task_struct *child)
{
	struct process_info *pinfo;
	__u32 ppid = BPF_CORE_READ(parent, tgid), cpid = BPF_CORE_READ(child, tgid);

	if (ppid == cpid)	/* a new thread */
		return 0;
	pinfo = bpf_map_lookup_elem(&execve_map, &ppid);
	if (!pinfo)
		return 0;
	bpf_map_update_elem(&execve_map, &cpid, pinfo, BPF_NOEXIST);
	pinfo = bpf_map_lookup_elem(&execve_map, &cpid);
	if (pinfo) {
		pinfo->pid = cpid;
		pinfo->ppid = ppid;
		pinfo->ktime = BPF_CORE_READ(child, start_time);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(event_exit, struct task_struct *task)
{
	__u32 pid = BPF_CORE_READ(task, tgid);

	if (BPF_CORE_READ(task, pid) != pid)
		return 0;
	bpf_map_delete_elem(&execve_map, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
