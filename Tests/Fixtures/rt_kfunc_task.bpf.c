// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_kfunc_task.bpf.c - kfunc-based task and cgroup inspection in the style
 * of scx tools / systing / the selftests' task_kfunc programs (own code).
 * Pattern: on exec, acquire the task's parent with bpf_task_acquire and read
 * it under RCU; a SEC("syscall") lookup resolves a pid with
 * bpf_task_from_pid and its cgroup with bpf_cgroup_from_id, both released
 * before returning; an optional kfunc is declared __weak and guarded.
 * Covers: kfunc externs (bpf_task_acquire/release, bpf_task_from_pid,
 * bpf_cgroup_acquire/release, bpf_cgroup_from_id, bpf_rcu_read_lock/unlock,
 * bpf_task_get_cgroup1), a __weak kfunc missing from this kernel guarded by
 * bpf_ksym_exists-style NULL checks, tp_btf, SEC("syscall"), a ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rt_common.h"

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id) __ksym __weak;
extern u64 bpf_lskel_fixture_missing_kfunc(struct task_struct *p) __ksym __weak;

struct exec_info {
	__u64 cgid;
	__s32 pid;
	__s32 ppid;
	__s32 parent_prio;
	__u32 level;
	char parent_comm[TASK_COMM_LEN];
};

struct pid_query {
	__s32 pid;
	__s32 tgid;
	__u64 cgid;
	__u64 extra;
	__u32 level;
	__s32 v1_hierarchy;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} execs SEC(".maps");

const volatile int v1_hierarchy = 0;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *parent;
	struct exec_info *info;
	struct cgroup *cgrp;

	info = bpf_ringbuf_reserve(&execs, sizeof(*info), 0);
	if (!info)
		return 0;
	info->pid = p->pid;
	info->ppid = 0;
	info->parent_prio = 0;
	info->cgid = 0;
	info->level = 0;
	info->parent_comm[0] = 0;

	bpf_rcu_read_lock();
	parent = p->real_parent;
	if (parent) {
		parent = bpf_task_acquire(parent);
		if (parent) {
			info->ppid = parent->tgid;
			info->parent_prio = parent->prio;
			__builtin_memcpy(info->parent_comm, parent->comm, sizeof(info->parent_comm));
			bpf_task_release(parent);
		}
	}
	cgrp = p->cgroups->dfl_cgrp;
	if (cgrp) {
		cgrp = bpf_cgroup_acquire(cgrp);
		if (cgrp) {
			info->cgid = cgrp->kn->id;
			info->level = cgrp->level;
			bpf_cgroup_release(cgrp);
		}
	}
	bpf_rcu_read_unlock();
	bpf_ringbuf_submit(info, 0);
	return 0;
}

SEC("syscall")
int query_pid(struct pid_query *q)
{
	struct task_struct *task;
	struct cgroup *cgrp;

	task = bpf_task_from_pid(q->pid);
	if (!task)
		return -RT_ENOENT;
	q->tgid = task->tgid;
	if (bpf_task_get_cgroup1 && v1_hierarchy) {
		cgrp = bpf_task_get_cgroup1(task, v1_hierarchy);
		if (cgrp) {
			q->v1_hierarchy = v1_hierarchy;
			bpf_cgroup_release(cgrp);
		}
	}
	if (bpf_lskel_fixture_missing_kfunc)
		q->extra = bpf_lskel_fixture_missing_kfunc(task);
	bpf_task_release(task);

	cgrp = bpf_cgroup_from_id(q->cgid);
	if (!cgrp)
		return -RT_ENOENT;
	q->level = cgrp->level;
	bpf_cgroup_release(cgrp);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
