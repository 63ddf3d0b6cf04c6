// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_btf_dumper.bpf.c - a live kernel object inspector in the style of
 * pwru's / ksnoop's bpf_snprintf_btf output and drgn-like "show me this
 * process's kernel state" tools (own code). Pattern: iterators walk tasks,
 * files, sockets, cgroups and BPF objects and pretty-print the kernel
 * structures hanging off them with bpf_seq_printf_btf, each with its kernel
 * BTF type id obtained through CO-RE (bpf_core_type_id_kernel); user space
 * picks which objects to print with a bitmap in .bss; a kprobe prints skbs
 * into a ring buffer with bpf_snprintf_btf.
 * Covers: a very large .BTF (about a hundred kernel struct types reached
 * through task_struct, fs, block, sched, net and security objects, each
 * used for a BPF_CORE_TYPE_ID_TARGET relocation), hundreds of CO-RE field
 * relocations in one program, iter/task, iter/task_file, iter/tcp,
 * iter/cgroup, iter/bpf_map, iter/bpf_prog, kprobe with bpf_snprintf_btf,
 * a const volatile pid filter, BTF_F_* flags in .rodata.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

enum dump_obj {
	OBJ_TASK,
	OBJ_MM,
	OBJ_ACTIVE_MM,
	OBJ_FS,
	OBJ_FILES,
	OBJ_FDTABLE,
	OBJ_SIGNAL,
	OBJ_SIGHAND,
	OBJ_CRED,
	OBJ_REAL_CRED,
	OBJ_USER_NS,
	OBJ_USER,
	OBJ_GROUP_INFO,
	OBJ_NSPROXY,
	OBJ_UTS_NS,
	OBJ_IPC_NS,
	OBJ_MNT_NS,
	OBJ_PID_NS,
	OBJ_NET_NS,
	OBJ_TIME_NS,
	OBJ_CGROUP_NS,
	OBJ_CSS_SET,
	OBJ_DFL_CGRP,
	OBJ_CGRP_ROOT,
	OBJ_KERNFS,
	OBJ_THREAD_PID,
	OBJ_PARENT,
	OBJ_GROUP_LEADER,
	OBJ_EXE_FILE,
	OBJ_EXE_INODE,
	OBJ_EXE_SB,
	OBJ_EXE_FSTYPE,
	OBJ_EXE_DENTRY,
	OBJ_EXE_MNT,
	OBJ_EXE_MAPPING,
	OBJ_EXE_FOPS,
	OBJ_EXE_IOPS,
	OBJ_SB_OPS,
	OBJ_BDI,
	OBJ_BDEV,
	OBJ_GENDISK,
	OBJ_REQ_QUEUE,
	OBJ_ROOT_PATH_DENTRY,
	OBJ_PWD_MNT,
	OBJ_TTY,
	OBJ_TTY_DRIVER,
	OBJ_IO_CONTEXT,
	OBJ_SCHED_CLASS,
	OBJ_CFS_RQ,
	OBJ_RQ,
	OBJ_ROOT_DOMAIN,
	OBJ_SCHED_DOMAIN,
	OBJ_TASK_GROUP,
	OBJ_PERF_CTX,
	OBJ_AUDIT_CTX,
	OBJ_SECCOMP_FILTER,
	OBJ_BPF_STORAGE,
	OBJ_UTASK,
	OBJ_MEMCG,
	OBJ_RSEQ,
	OBJ_ROBUST_LIST,
	OBJ_PI_STATE,
	OBJ_NET_LOOPBACK,
	OBJ_NET_LOOPBACK_OPS,
	OBJ_NET_LOOPBACK_ETHTOOL,
	OBJ_NET_LOOPBACK_QDISC,
	OBJ_NET_LOOPBACK_TX,
	OBJ_NET_LOOPBACK_IP,
	OBJ_NET_LOOPBACK_IP6,
	OBJ_NET_USER_NS,
	OBJ_NET_FIB_RULES,
	OBJ_NET_TCP_CONG,
	OBJ_NET_XFRM_POLICY,
	OBJ_NET_RTNL,
	OBJ_NET_GEN,
	OBJ_MNT_ROOT,
	OBJ_PID_NS_PARENT,
	OBJ_PID_NS_REAPER,
	OBJ_IPC_SHM,
	OBJ_UCOUNTS,
	OBJ_KEY_SESSION,
	OBJ_KEY_TYPE,
	OBJ_MM_BINFMT,
	OBJ_MM_PGD,
	OBJ_MM_MMAP_BASE,
	OBJ_MM_OWNER,
	OBJ_MM_UPROBES,
	OBJ_SIG_PROCESS_KEYRING,
	OBJ_FILE_FOWNER,
	OBJ_INODE_LOCKS,
	OBJ_SB_USER_NS,
	OBJ_SB_QUOTA,
	OBJ_SB_EXPORT,
	OBJ_DENTRY_OPS,
	OBJ_BDEV_HOLDER_OPS,
	OBJ_DISK_FOPS,
	OBJ_QUEUE_ELEVATOR,
	OBJ_QUEUE_TAGSET,
	OBJ_NR
};

const volatile pid_t target_tgid = 0;
const volatile __u64 btf_flags = BTF_F_COMPACT | BTF_F_ZERO;

/* bitmap of enum dump_obj, set by user space before each read */
__u64 wanted[(OBJ_NR + 63) / 64];
__u64 printed, failed;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} skb_dumps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[4096]);
} dump_buf SEC(".maps");

static __always_inline bool want(__u32 obj)
{
	return wanted[(obj / 64) & 3] & (1ULL << (obj % 64));
}

#define DUMP(obj, expr, type)						\
	do {								\
		if (want(obj)) {					\
			struct btf_ptr __p = {				\
				.ptr = (void *)(expr),			\
				.type_id = bpf_core_type_id_kernel(type),\
			};						\
			if (bpf_seq_printf_btf(seq, &__p, sizeof(__p), btf_flags)) \
				failed++;				\
			else						\
				printed++;				\
		}							\
	} while (0)

SEC("iter/task")
int dump_task_objects(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task || (target_tgid && task->tgid != target_tgid))
		return 0;
	BPF_SEQ_PRINTF(seq, "== task %d (%s)\n", task->pid, task->comm);
	DUMP(OBJ_TASK, task, struct task_struct);
	DUMP(OBJ_MM, task->mm, struct mm_struct);
	DUMP(OBJ_ACTIVE_MM, task->active_mm, struct mm_struct);
	DUMP(OBJ_FS, task->fs, struct fs_struct);
	DUMP(OBJ_FILES, task->files, struct files_struct);
	DUMP(OBJ_FDTABLE, task->files->fdt, struct fdtable);
	DUMP(OBJ_SIGNAL, task->signal, struct signal_struct);
	DUMP(OBJ_SIGHAND, task->sighand, struct sighand_struct);
	DUMP(OBJ_CRED, task->cred, struct cred);
	DUMP(OBJ_REAL_CRED, task->real_cred, struct cred);
	DUMP(OBJ_USER_NS, task->cred->user_ns, struct user_namespace);
	DUMP(OBJ_USER, task->cred->user, struct user_struct);
	DUMP(OBJ_GROUP_INFO, task->cred->group_info, struct group_info);
	DUMP(OBJ_NSPROXY, task->nsproxy, struct nsproxy);
	DUMP(OBJ_UTS_NS, task->nsproxy->uts_ns, struct uts_namespace);
	DUMP(OBJ_IPC_NS, task->nsproxy->ipc_ns, struct ipc_namespace);
	DUMP(OBJ_MNT_NS, task->nsproxy->mnt_ns, struct mnt_namespace);
	DUMP(OBJ_PID_NS, task->nsproxy->pid_ns_for_children, struct pid_namespace);
	DUMP(OBJ_NET_NS, task->nsproxy->net_ns, struct net);
	DUMP(OBJ_TIME_NS, task->nsproxy->time_ns, struct time_namespace);
	DUMP(OBJ_CGROUP_NS, task->nsproxy->cgroup_ns, struct cgroup_namespace);
	DUMP(OBJ_CSS_SET, task->cgroups, struct css_set);
	DUMP(OBJ_DFL_CGRP, task->cgroups->dfl_cgrp, struct cgroup);
	DUMP(OBJ_CGRP_ROOT, task->cgroups->dfl_cgrp->root, struct cgroup_root);
	DUMP(OBJ_KERNFS, task->cgroups->dfl_cgrp->kn, struct kernfs_node);
	DUMP(OBJ_THREAD_PID, task->thread_pid, struct pid);
	DUMP(OBJ_PARENT, task->real_parent, struct task_struct);
	DUMP(OBJ_GROUP_LEADER, task->group_leader, struct task_struct);
	DUMP(OBJ_EXE_FILE, task->mm->exe_file, struct file);
	DUMP(OBJ_EXE_INODE, task->mm->exe_file->f_inode, struct inode);
	DUMP(OBJ_EXE_SB, task->mm->exe_file->f_inode->i_sb, struct super_block);
	DUMP(OBJ_EXE_FSTYPE, task->mm->exe_file->f_inode->i_sb->s_type, struct file_system_type);
	DUMP(OBJ_EXE_DENTRY, task->mm->exe_file->f_path.dentry, struct dentry);
	DUMP(OBJ_EXE_MNT, task->mm->exe_file->f_path.mnt, struct vfsmount);
	DUMP(OBJ_EXE_MAPPING, task->mm->exe_file->f_mapping, struct address_space);
	DUMP(OBJ_EXE_FOPS, task->mm->exe_file->f_op, struct file_operations);
	DUMP(OBJ_EXE_IOPS, task->mm->exe_file->f_inode->i_op, struct inode_operations);
	DUMP(OBJ_SB_OPS, task->mm->exe_file->f_inode->i_sb->s_op, struct super_operations);
	DUMP(OBJ_BDI, task->mm->exe_file->f_inode->i_sb->s_bdi, struct backing_dev_info);
	DUMP(OBJ_BDEV, task->mm->exe_file->f_inode->i_sb->s_bdev, struct block_device);
	DUMP(OBJ_GENDISK, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_disk, struct gendisk);
	DUMP(OBJ_REQ_QUEUE, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_disk->queue, struct request_queue);
	DUMP(OBJ_ROOT_PATH_DENTRY, task->fs->root.dentry, struct dentry);
	DUMP(OBJ_PWD_MNT, task->fs->pwd.mnt, struct vfsmount);
	DUMP(OBJ_TTY, task->signal->tty, struct tty_struct);
	DUMP(OBJ_TTY_DRIVER, task->signal->tty->driver, struct tty_driver);
	DUMP(OBJ_IO_CONTEXT, task->io_context, struct io_context);
	DUMP(OBJ_SCHED_CLASS, task->sched_class, struct sched_class);
	DUMP(OBJ_CFS_RQ, task->se.cfs_rq, struct cfs_rq);
	DUMP(OBJ_RQ, task->se.cfs_rq->rq, struct rq);
	DUMP(OBJ_ROOT_DOMAIN, task->se.cfs_rq->rq->rd, struct root_domain);
	DUMP(OBJ_SCHED_DOMAIN, task->se.cfs_rq->rq->sd, struct sched_domain);
	DUMP(OBJ_TASK_GROUP, task->sched_task_group, struct task_group);
	DUMP(OBJ_PERF_CTX, task->perf_event_ctxp, struct perf_event_context);
	DUMP(OBJ_AUDIT_CTX, task->audit_context, struct audit_context);
	DUMP(OBJ_SECCOMP_FILTER, task->seccomp.filter, struct seccomp_filter);
	DUMP(OBJ_BPF_STORAGE, task->bpf_storage, struct bpf_local_storage);
	DUMP(OBJ_UTASK, task->utask, struct uprobe_task);
	DUMP(OBJ_MEMCG, task->active_memcg, struct mem_cgroup);
	DUMP(OBJ_RSEQ, task->rseq, struct rseq);
	DUMP(OBJ_ROBUST_LIST, task->robust_list, struct robust_list_head);
	DUMP(OBJ_PI_STATE, task->pi_state_cache, struct futex_pi_state);
	DUMP(OBJ_NET_LOOPBACK, task->nsproxy->net_ns->loopback_dev, struct net_device);
	DUMP(OBJ_NET_LOOPBACK_OPS, task->nsproxy->net_ns->loopback_dev->netdev_ops, struct net_device_ops);
	DUMP(OBJ_NET_LOOPBACK_ETHTOOL, task->nsproxy->net_ns->loopback_dev->ethtool_ops, struct ethtool_ops);
	DUMP(OBJ_NET_LOOPBACK_QDISC, task->nsproxy->net_ns->loopback_dev->qdisc, struct Qdisc);
	DUMP(OBJ_NET_LOOPBACK_TX, task->nsproxy->net_ns->loopback_dev->_tx, struct netdev_queue);
	DUMP(OBJ_NET_LOOPBACK_IP, task->nsproxy->net_ns->loopback_dev->ip_ptr, struct in_device);
	DUMP(OBJ_NET_LOOPBACK_IP6, task->nsproxy->net_ns->loopback_dev->ip6_ptr, struct inet6_dev);
	DUMP(OBJ_NET_USER_NS, task->nsproxy->net_ns->user_ns, struct user_namespace);
	DUMP(OBJ_NET_FIB_RULES, task->nsproxy->net_ns->ipv4.rules_ops, struct fib_rules_ops);
	DUMP(OBJ_NET_TCP_CONG, task->nsproxy->net_ns->ipv4.tcp_congestion_control, struct tcp_congestion_ops);
	DUMP(OBJ_NET_XFRM_POLICY, task->nsproxy->net_ns->xfrm.nlsk, struct sock);
	DUMP(OBJ_NET_RTNL, task->nsproxy->net_ns->rtnl, struct sock);
	DUMP(OBJ_NET_GEN, task->nsproxy->net_ns->gen, struct net_generic);
	DUMP(OBJ_MNT_ROOT, task->nsproxy->mnt_ns->root, struct mount);
	DUMP(OBJ_PID_NS_PARENT, task->nsproxy->pid_ns_for_children->parent, struct pid_namespace);
	DUMP(OBJ_PID_NS_REAPER, task->nsproxy->pid_ns_for_children->child_reaper, struct task_struct);
	DUMP(OBJ_IPC_SHM, task->nsproxy->ipc_ns->mq_mnt, struct vfsmount);
	DUMP(OBJ_UCOUNTS, task->cred->ucounts, struct ucounts);
	DUMP(OBJ_KEY_SESSION, task->cred->session_keyring, struct key);
	DUMP(OBJ_KEY_TYPE, task->cred->session_keyring->type, struct key_type);
	DUMP(OBJ_MM_BINFMT, task->mm->binfmt, struct linux_binfmt);
	DUMP(OBJ_MM_PGD, task->mm->pgd, pgd_t);
	DUMP(OBJ_MM_MMAP_BASE, task->mm->user_ns, struct user_namespace);
	DUMP(OBJ_MM_OWNER, task->mm->owner, struct task_struct);
	DUMP(OBJ_MM_UPROBES, task->mm->uprobes_state.xol_area, struct xol_area);
	DUMP(OBJ_SIG_PROCESS_KEYRING, task->signal->oom_mm, struct mm_struct);
	DUMP(OBJ_FILE_FOWNER, task->mm->exe_file->f_owner, struct fown_struct);
	DUMP(OBJ_INODE_LOCKS, task->mm->exe_file->f_inode->i_flctx, struct file_lock_context);
	DUMP(OBJ_SB_USER_NS, task->mm->exe_file->f_inode->i_sb->s_user_ns, struct user_namespace);
	DUMP(OBJ_SB_QUOTA, task->mm->exe_file->f_inode->i_sb->dq_op, struct dquot_operations);
	DUMP(OBJ_SB_EXPORT, task->mm->exe_file->f_inode->i_sb->s_export_op, struct export_operations);
	DUMP(OBJ_DENTRY_OPS, task->mm->exe_file->f_path.dentry->d_op, struct dentry_operations);
	DUMP(OBJ_BDEV_HOLDER_OPS, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_holder_ops, struct blk_holder_ops);
	DUMP(OBJ_DISK_FOPS, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_disk->fops, struct block_device_operations);
	DUMP(OBJ_QUEUE_ELEVATOR, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_disk->queue->elevator, struct elevator_queue);
	DUMP(OBJ_QUEUE_TAGSET, task->mm->exe_file->f_inode->i_sb->s_bdev->bd_disk->queue->tag_set, struct blk_mq_tag_set);
	return 0;
}

SEC("iter/task_file")
int dump_task_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct file *file = ctx->file;

	if (!file || !ctx->task || (target_tgid && ctx->task->tgid != target_tgid))
		return 0;
	BPF_SEQ_PRINTF(seq, "== fd %u\n", ctx->fd);
	DUMP(OBJ_EXE_FILE, file, struct file);
	DUMP(OBJ_EXE_INODE, file->f_inode, struct inode);
	DUMP(OBJ_EXE_DENTRY, file->f_path.dentry, struct dentry);
	DUMP(OBJ_EXE_FOPS, file->f_op, struct file_operations);
	DUMP(OBJ_EXE_MAPPING, file->f_mapping, struct address_space);
	DUMP(OBJ_FILE_FOWNER, file->f_owner, struct fown_struct);
	return 0;
}

SEC("iter/tcp")
int dump_tcp_socks(struct bpf_iter__tcp *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct sock_common *skc = ctx->sk_common;
	struct btf_ptr p = {};

	if (!skc)
		return 0;
	p.ptr = skc;
	if (skc->skc_family == RT_AF_INET || skc->skc_family == RT_AF_INET6)
		p.type_id = bpf_core_type_id_kernel(struct tcp_sock);
	else
		p.type_id = bpf_core_type_id_kernel(struct sock_common);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	p.ptr = skc->skc_net.net;
	p.type_id = bpf_core_type_id_kernel(struct net);
	if (want(OBJ_NET_NS))
		bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	return 0;
}

SEC("iter/cgroup")
int dump_cgroups(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;
	struct btf_ptr p = {};

	if (!cgrp)
		return 0;
	p.ptr = cgrp;
	p.type_id = bpf_core_type_id_kernel(struct cgroup);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	p.ptr = cgrp->root;
	p.type_id = bpf_core_type_id_kernel(struct cgroup_root);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	p.ptr = cgrp->bpf.effective[0];
	p.type_id = bpf_core_type_id_kernel(struct bpf_prog_array);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	return 0;
}

SEC("iter/bpf_map")
int dump_bpf_maps(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;
	struct btf_ptr p = {};

	if (!map)
		return 0;
	p.ptr = map;
	p.type_id = bpf_core_type_id_kernel(struct bpf_map);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	p.ptr = (void *)map->ops;
	p.type_id = bpf_core_type_id_kernel(struct bpf_map_ops);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	return 0;
}

SEC("iter/bpf_prog")
int dump_bpf_progs(struct bpf_iter__bpf_prog *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_prog *prog = ctx->prog;
	struct btf_ptr p = {};

	if (!prog)
		return 0;
	p.ptr = prog;
	p.type_id = bpf_core_type_id_kernel(struct bpf_prog);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	p.ptr = prog->aux;
	p.type_id = bpf_core_type_id_kernel(struct bpf_prog_aux);
	bpf_seq_printf_btf(seq, &p, sizeof(p), btf_flags);
	return 0;
}

SEC("kprobe/__kfree_skb")
int BPF_KPROBE(dump_freed_skb, struct sk_buff *skb)
{
	struct btf_ptr p = { .ptr = skb, .type_id = bpf_core_type_id_kernel(struct sk_buff) };
	__u32 zero = 0;
	char *buf;
	long n;

	if (!want(OBJ_NET_LOOPBACK))
		return 0;
	buf = bpf_map_lookup_elem(&dump_buf, &zero);
	if (!buf)
		return 0;
	n = bpf_snprintf_btf(buf, 4096, &p, sizeof(p), btf_flags);
	if (n > 0)
		bpf_ringbuf_output(&skb_dumps, buf, 4096, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
