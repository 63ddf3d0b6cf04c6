// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lskel-fixture: clang >= 15 (BTF type tags for __kptr) */
/*
 * rt_kptr_tasks.bpf.c - holding kernel object references in maps, in the
 * style of sched_ext schedulers and the selftests' task/cgroup kfunc users
 * (own code). Pattern: when a task is created its reference is acquired
 * and parked in a hash value (__kptr field, bpf_kptr_xchg); when it is freed
 * the reference is taken back out and released; a lookup program resolves a
 * pid under bpf_rcu_read_lock with bpf_task_from_pid and walks to its cgroup
 * with a cgroup kptr kept per cgroup id.
 * Covers: referenced kptrs (__kptr = btf_type_tag("kptr")) to task_struct
 * and cgroup in HASH and ARRAY values, bpf_kptr_xchg, kfunc externs
 * (bpf_task_acquire/release, bpf_task_from_pid, bpf_cgroup_acquire/release,
 * bpf_cgroup_from_id, bpf_rcu_read_lock/unlock), a weak kfunc that this
 * kernel does not have (checked with a NULL test before use), tp_btf
 * programs, SEC("syscall").
 * Note: clang 14 does not emit BTF type tags, so the __kptr fields reach
 * the kernel as plain pointers and the verifier refuses bpf_kptr_xchg on
 * them ("R1 has no valid kptr"); with clang >= 15 the same source loads.
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
/* Not in this kernel: libbpf leaves the call unresolved, the NULL test guards it. */
extern u64 bpf_lskel_fixture_missing_kfunc(struct task_struct *p) __ksym __weak;

struct task_slot {
	struct task_struct __kptr *task;
	__u64 created_ns;
	__u64 flags;
};

struct cgroup_slot {
	struct cgroup __kptr *cgrp;
	__u64 hits;
};

struct task_lookup_req {
	__s32 pid;
	__s32 tgid;
	__u64 cgid;
	__u64 missing_val;
	__u32 level;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __s32);
	__type(value, struct task_slot);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct cgroup_slot);
} cgroups SEC(".maps");

__u64 stashed, released, lookups;

SEC("tp_btf/task_newtask")
int BPF_PROG(task_created, struct task_struct *task, u64 clone_flags)
{
	struct task_slot fresh = {}, *slot;
	struct task_struct *ref, *old;
	__s32 pid = task->pid;

	fresh.created_ns = bpf_ktime_get_ns();
	fresh.flags = clone_flags;
	if (bpf_map_update_elem(&tasks, &pid, &fresh, BPF_NOEXIST))
		return 0;
	slot = bpf_map_lookup_elem(&tasks, &pid);
	if (!slot)
		return 0;
	ref = bpf_task_acquire(task);
	if (!ref)
		return 0;
	old = bpf_kptr_xchg(&slot->task, ref);
	if (old)
		bpf_task_release(old);
	__sync_fetch_and_add(&stashed, 1);
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(task_freed, struct task_struct *task)
{
	struct task_slot *slot;
	struct task_struct *ref;
	__s32 pid = task->pid;

	slot = bpf_map_lookup_elem(&tasks, &pid);
	if (!slot)
		return 0;
	ref = bpf_kptr_xchg(&slot->task, NULL);
	if (ref) {
		bpf_task_release(ref);
		__sync_fetch_and_add(&released, 1);
	}
	bpf_map_delete_elem(&tasks, &pid);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_created, struct cgroup *cgrp, const char *path)
{
	__u32 idx = cgrp->level & 63;
	struct cgroup_slot *slot;
	struct cgroup *ref, *old;

	slot = bpf_map_lookup_elem(&cgroups, &idx);
	if (!slot)
		return 0;
	ref = bpf_cgroup_acquire(cgrp);
	if (!ref)
		return 0;
	old = bpf_kptr_xchg(&slot->cgrp, ref);
	if (old)
		bpf_cgroup_release(old);
	slot->hits++;
	return 0;
}

SEC("syscall")
int lookup_task(struct task_lookup_req *args)
{
	struct task_struct *task;
	struct cgroup *cgrp;

	__sync_fetch_and_add(&lookups, 1);
	task = bpf_task_from_pid(args->pid);
	if (!task)
		return -RT_ENOENT;
	args->tgid = task->tgid;
	if (bpf_lskel_fixture_missing_kfunc)
		args->missing_val = bpf_lskel_fixture_missing_kfunc(task);
	bpf_rcu_read_lock();
	cgrp = task->cgroups->dfl_cgrp;
	if (cgrp)
		args->cgid = cgrp->kn->id;
	bpf_rcu_read_unlock();
	bpf_task_release(task);

	cgrp = bpf_cgroup_from_id(args->cgid);
	if (cgrp) {
		args->level = cgrp->level;
		bpf_cgroup_release(cgrp);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
