// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_lsm_audit.bpf.c - an LSM-based audit/enforcement tool in the style of
 * Tetragon's / bpfman's / the kernel samples' BPF LSM users (own code).
 * Pattern: BPF LSM hooks on exec, file open, connect, unlink and mmap
 * protection changes; per-task and per-inode local storage carry the
 * verdict state, events go to a ring buffer; an enforcement switch turns
 * audit into deny (-EPERM).
 * Covers: SEC("lsm/...") and SEC("lsm.s/...") (sleepable), TASK_STORAGE
 * and INODE_STORAGE maps (BPF_F_NO_PREALLOC), bpf_task_storage_get /
 * bpf_inode_storage_get with BPF_LOCAL_STORAGE_GET_F_CREATE,
 * bpf_get_current_task_btf, bpf_d_path, bpf_copy_from_user in the sleepable
 * hook, a ring buffer, a HASH of denied inode numbers,
 * const volatile enforce/target cgroup, an LSM "ret" argument chain,
 * BPF_CORE_READ through linux_binprm, dentry and sockaddr.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define EV_EXEC		1
#define EV_OPEN		2
#define EV_CONNECT	3
#define EV_UNLINK	4
#define EV_MPROTECT	5
#define VM_EXEC_FLAG	0x00000004

struct task_ctx {
	__u64 exec_count;
	__u64 opens;
	__u32 flags;
	__u32 tainted;
};

struct inode_ctx {
	__u64 first_seen_ns;
	__u32 opens;
	__u32 denied;
};

struct audit_event {
	__u64 ts;
	__u64 cgroup_id;
	__u64 ino;
	__u32 type;
	__u32 pid;
	__u32 uid;
	int verdict;
	__u16 family;
	__u16 port;
	char comm[TASK_COMM_LEN];
	char path[RT_PATH_MAX / 16];
};

const volatile bool enforce = false;
const volatile __u64 target_cgroup = 0;
const volatile __u32 max_opens_per_task = 1000000;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inode_ctx);
} inode_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} denied_inodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} audit_rb SEC(".maps");

static __always_inline bool in_scope(void)
{
	return !target_cgroup || bpf_get_current_cgroup_id() == target_cgroup;
}

static __always_inline struct audit_event *new_event(__u32 type)
{
	struct audit_event *e = bpf_ringbuf_reserve(&audit_rb, sizeof(*e), 0);

	if (!e)
		return NULL;
	e->ts = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->type = type;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (u32)bpf_get_current_uid_gid();
	e->ino = 0;
	e->family = 0;
	e->port = 0;
	e->path[0] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline int verdict(bool deny)
{
	return (enforce && deny) ? -RT_EPERM : 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(audit_exec, struct linux_binprm *bprm, int ret)
{
	struct task_ctx *tctx;
	struct audit_event *e;
	__u64 ino;

	if (ret || !in_scope())
		return ret;
	tctx = bpf_task_storage_get(&task_state, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tctx)
		tctx->exec_count++;
	ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	e = new_event(EV_EXEC);
	if (!e)
		return 0;
	e->ino = ino;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(bprm, filename));
	e->verdict = verdict(bpf_map_lookup_elem(&denied_inodes, &ino) != NULL);
	ret = e->verdict;
	bpf_ringbuf_submit(e, 0);
	return ret;
}

SEC("lsm/file_open")
int BPF_PROG(audit_open, struct file *file, int ret)
{
	struct inode_ctx *ictx;
	struct task_ctx *tctx;
	struct audit_event *e;
	__u64 ino;

	if (ret || !in_scope())
		return ret;
	ictx = bpf_inode_storage_get(&inode_state, file->f_inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ictx) {
		if (!ictx->first_seen_ns)
			ictx->first_seen_ns = bpf_ktime_get_ns();
		ictx->opens++;
	}
	tctx = bpf_task_storage_get(&task_state, bpf_get_current_task_btf(), 0, 0);
	if (tctx && ++tctx->opens > max_opens_per_task)
		tctx->tainted = 1;
	ino = file->f_inode->i_ino;
	if (!bpf_map_lookup_elem(&denied_inodes, &ino))
		return 0;
	if (ictx)
		ictx->denied++;
	e = new_event(EV_OPEN);
	if (!e)
		return verdict(true);
	e->ino = ino;
	bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path));
	e->verdict = verdict(true);
	ret = e->verdict;
	bpf_ringbuf_submit(e, 0);
	return ret;
}

SEC("lsm/socket_connect")
int BPF_PROG(audit_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct audit_event *e;
	__u16 family;

	if (ret || !in_scope())
		return ret;
	family = BPF_CORE_READ(address, sa_family);
	if (family != RT_AF_INET && family != RT_AF_INET6)
		return 0;
	e = new_event(EV_CONNECT);
	if (!e)
		return 0;
	e->family = family;
	e->port = BPF_CORE_READ((struct sockaddr_in *)address, sin_port);
	e->verdict = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("lsm/inode_unlink")
int BPF_PROG(audit_unlink, struct inode *dir, struct dentry *victim, int ret)
{
	struct audit_event *e;
	__u64 ino;

	if (ret || !in_scope())
		return ret;
	ino = BPF_CORE_READ(victim, d_inode, i_ino);
	if (!bpf_map_lookup_elem(&denied_inodes, &ino))
		return 0;
	e = new_event(EV_UNLINK);
	if (!e)
		return verdict(true);
	e->ino = ino;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), BPF_CORE_READ(victim, d_name.name));
	e->verdict = verdict(true);
	ret = e->verdict;
	bpf_ringbuf_submit(e, 0);
	return ret;
}

SEC("lsm/file_mprotect")
int BPF_PROG(audit_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct task_ctx *tctx;

	if (ret || !(prot & VM_EXEC_FLAG) || !in_scope())
		return ret;
	/* W^X: a mapping that is writable and becomes executable */
	if (!(BPF_CORE_READ(vma, vm_flags) & 0x2))
		return 0;
	tctx = bpf_task_storage_get(&task_state, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tctx)
		tctx->flags |= 1;
	return verdict(true);
}

SEC("lsm.s/bprm_committed_creds")
int BPF_PROG(audit_committed, struct linux_binprm *bprm)
{
	char interp[64] = {};
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_state, bpf_get_current_task_btf(), 0, 0);
	if (!tctx)
		return 0;
	/* sleepable: may fault in the user's argv page */
	bpf_copy_from_user(interp, sizeof(interp), (void *)BPF_CORE_READ(bprm, p));
	if (interp[0] == '#')
		tctx->flags |= 2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
