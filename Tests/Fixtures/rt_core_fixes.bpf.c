// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lskel-fixture: clang >= 15 (bpf_core_type_matches) */
/*
 * rt_core_fixes.bpf.c - CO-RE compatibility shims in the style of
 * libbpf-tools' core_fixes.bpf.h and the workarounds tools like
 * Tetragon/Pixie carry for kernel struct changes (own code). Pattern: each
 * accessor checks which layout the running kernel has and reads the right
 * flavour: task_struct state/__state, kernfs_node parent/__parent (6.15),
 * mm_struct rss_stat as struct/array, the block_rq_complete tracepoint
 * record renamed to block_rq_completion, an enum that moved.
 * Covers: bpf_core_field_exists, bpf_core_type_exists, bpf_core_type_size,
 * bpf_core_field_size, bpf_core_field_offset, bpf_core_type_id_kernel /
 * _local, bpf_core_enum_value and bpf_core_enum_value_exists (also on a
 * ___local enum flavour), bpf_core_type_matches (only with clang >= 15:
 * clang 14 crashes on it), ___o / ___x / ___y flavours, BPF_CORE_READ
 * through flavours, raw_tp and tp_btf programs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

struct task_struct___x {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct kernfs_node___old {
	struct kernfs_node___old *parent;
	const char *name;
} __attribute__((preserve_access_index));

struct kernfs_node___new {
	struct kernfs_node___new *__parent;
	const char *name;
} __attribute__((preserve_access_index));

struct mm_rss_stat___o {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___o {
	struct mm_rss_stat___o rss_stat;
} __attribute__((preserve_access_index));

struct mm_struct___y {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq_complete___x {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq_completion___x {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
} __attribute__((preserve_access_index));

enum mm_counter_type___local {
	MM_FILEPAGES___local,
	MM_ANONPAGES___local,
};

enum bpf_func_id___x {
	BPF_FUNC_get_func_ip___x = 42,
	BPF_FUNC_loop___x = 43,
};

struct compat_report {
	__u64 state;
	__u64 rss_anon;
	__u64 parent_id;
	__u32 task_size;
	__u32 comm_size;
	__u32 comm_offset;
	__u32 task_btf_id;
	__u32 local_btf_id;
	__s32 anon_idx;
	__u32 has_loop_helper;
	__u32 rq_dev;
	__u32 matches;
	__u32 layout;
};

struct compat_report compat;

static __always_inline __u64 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(struct task_struct___x, __state))
		return BPF_CORE_READ((struct task_struct___x *)t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

static __always_inline __u64 kernfs_parent_id(struct kernfs_node *kn)
{
	struct kernfs_node___new *knn = (void *)kn;
	struct kernfs_node___old *kno = (void *)kn;
	struct kernfs_node *parent;

	if (bpf_core_field_exists(knn->__parent))
		parent = (void *)BPF_CORE_READ(knn, __parent);
	else
		parent = (void *)BPF_CORE_READ(kno, parent);
	return BPF_CORE_READ(parent, id);
}

static __always_inline __u64 anon_rss(struct mm_struct *mm)
{
	int idx = MM_ANONPAGES___local;

	if (bpf_core_enum_value_exists(enum mm_counter_type___local, MM_ANONPAGES___local))
		idx = bpf_core_enum_value(enum mm_counter_type___local, MM_ANONPAGES___local);
	compat.anon_idx = idx;
	if (idx < 0 || idx > 3)
		return 0;
	if (bpf_core_type_exists(struct percpu_counter) &&
	    bpf_core_field_exists(((struct mm_struct___y *)mm)->rss_stat))
		return BPF_CORE_READ((struct mm_struct___y *)mm, rss_stat[idx].count);
	return BPF_CORE_READ((struct mm_struct___o *)mm, rss_stat.count[idx].counter);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_compat, struct task_struct *parent, struct task_struct *child)
{
	struct kernfs_node *kn;

	compat.state = task_state(child);
	compat.rss_anon = anon_rss(BPF_CORE_READ(parent, mm));
	kn = BPF_CORE_READ(parent, cgroups, dfl_cgrp, kn);
	compat.parent_id = kernfs_parent_id(kn);
	compat.task_size = bpf_core_type_size(struct task_struct);
	compat.comm_size = bpf_core_field_size(parent->comm);
	compat.comm_offset = bpf_core_field_offset(struct task_struct, comm);
	compat.task_btf_id = bpf_core_type_id_kernel(struct task_struct);
	compat.local_btf_id = bpf_core_type_id_local(struct task_struct___x);
	compat.has_loop_helper = bpf_core_enum_value_exists(enum bpf_func_id___x, BPF_FUNC_loop___x);
#if __clang_major__ >= 15
	compat.matches = bpf_core_type_matches(struct task_struct___x);
#endif
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete_btf, struct request *rq, int error, unsigned int nr_bytes)
{
	compat.rq_dev = BPF_CORE_READ(rq, q, disk, major);
	compat.layout = bpf_core_type_exists(struct trace_event_raw_block_rq_completion___x) ? 2 : 1;
	return 0;
}

SEC("?tracepoint/block/block_rq_complete")
int rq_complete_tp(void *ctx)
{
	if (bpf_core_type_exists(struct trace_event_raw_block_rq_completion___x)) {
		struct trace_event_raw_block_rq_completion___x *r = ctx;

		compat.rq_dev = BPF_CORE_READ(r, dev);
	} else {
		struct trace_event_raw_block_rq_complete___x *r = ctx;

		compat.rq_dev = BPF_CORE_READ(r, dev);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
