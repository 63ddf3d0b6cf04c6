// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_biolatency.bpf.c - a block I/O latency histogram in the style of
 * libbpf-tools' biolatency (own code). Pattern: timestamp a request on
 * insert/issue, bucket the delta on completion into per-disk/per-op log2
 * histograms. tp_btf programs are the default; raw_tp twins are declared
 * with SEC("?raw_tp/...") so the tool can switch on old kernels.
 * Covers: bpf_core_field_exists with a ___x flavour for the removed
 * request->rq_disk, bpf_core_enum_value_exists on enum req_op, a static-only
 * .bss (zero histogram template), const volatile bool/dev_t tunables, a
 * CGROUP_ARRAY filter, BPF_CORE_READ chains request->q->disk and
 * request->part->bd_dev, a shared static subprogram.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define DISK_NAME_LEN	32
#define REQ_OP_BITS	8
#define REQ_OP_MASK	((1 << REQ_OP_BITS) - 1)

struct hist_key {
	__u32 dev;
	__u32 op;
};

struct hist {
	__u32 slots[RT_MAX_SLOTS];
};

const volatile bool filter_cg = false;
const volatile bool targ_per_disk = false;
const volatile bool targ_per_flag = false;
const volatile bool targ_queued = false;
const volatile bool targ_ms = false;
const volatile bool filter_dev = false;
const volatile __u32 targ_dev = 0;

/* Only static variables in .bss: the zero histogram used to seed the map. */
static struct hist zero_hist;

/* On kernels before 5.17 the gendisk hung off the request itself. */
struct request___x {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, u32);
	__type(value, u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

static __always_inline struct gendisk *request_disk(struct request *rq)
{
	struct request___x *old = (void *)rq;

	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	return BPF_CORE_READ(rq, q, disk);
}

static __always_inline u32 disk_dev(struct gendisk *disk)
{
	u32 major = BPF_CORE_READ(disk, major);
	u32 minor = BPF_CORE_READ(disk, first_minor);

	return (major << 20) | minor;
}

static __noinline int stamp(struct request *rq, bool issue)
{
	u64 ts;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	if (issue && targ_queued && BPF_CORE_READ(rq, q, elevator))
		return 0;
	if (filter_dev && disk_dev(request_disk(rq)) != targ_dev)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &rq, &ts, 0);
	return 0;
}

static __always_inline int account(struct request *rq)
{
	struct hist_key key = {};
	struct hist *h;
	u64 *tsp, delta, slot;
	u32 op;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	if ((s64)delta < 0)
		goto out;
	if (targ_per_disk)
		key.dev = disk_dev(request_disk(rq));
	if (targ_per_flag) {
		op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;
		/* Discards are folded into writes where the kernel has no such op. */
		if (bpf_core_enum_value_exists(enum req_op, REQ_OP_DISCARD) &&
		    op == bpf_core_enum_value(enum req_op, REQ_OP_DISCARD))
			op = bpf_core_enum_value(enum req_op, REQ_OP_WRITE);
		key.op = op;
	}
	h = rt_lookup_or_try_init(&hists, &key, &zero_hist);
	if (!h)
		goto out;
	delta /= targ_ms ? 1000000U : 1000U;
	slot = rt_log2l(delta);
	if (slot >= RT_MAX_SLOTS)
		slot = RT_MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
out:
	bpf_map_delete_elem(&start, &rq);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert_btf, struct request *rq)
{
	return stamp(rq, false);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue_btf, struct request *rq)
{
	return stamp(rq, true);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete_btf, struct request *rq, int error, unsigned int nr_bytes)
{
	return account(rq);
}

SEC("?raw_tp/block_rq_insert")
int BPF_PROG(block_rq_insert_raw, struct request *rq)
{
	return stamp(rq, false);
}

SEC("?raw_tp/block_rq_issue")
int BPF_PROG(block_rq_issue_raw, struct request *rq)
{
	return stamp(rq, true);
}

SEC("?raw_tp/block_rq_complete")
int BPF_PROG(block_rq_complete_raw, struct request *rq, int error, unsigned int nr_bytes)
{
	return account(rq);
}

char LICENSE[] SEC("license") = "GPL";
