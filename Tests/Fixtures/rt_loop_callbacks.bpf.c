// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_loop_callbacks.bpf.c - callback-driven helpers as continuous profilers
 * (Parca/pyperf-style) and aggregation tools use them (own code). Pattern:
 * a perf_event sampler symbolises the user IP with bpf_find_vma and walks a
 * user-space linked frame list with bpf_loop; a SEC("syscall") program that
 * user space runs with BPF_PROG_RUN sums and prunes a hash with
 * bpf_for_each_map_elem; a raw tracepoint counts syscalls per process and
 * folds the top entries with bpf_loop.
 * Covers: bpf_loop (static callbacks with a context struct on the stack),
 * bpf_for_each_map_elem over HASH and PERCPU_ARRAY maps, bpf_find_vma with
 * a callback reading vma->vm_file, SEC("syscall") programs,
 * SEC("raw_tracepoint/sys_enter"), a LRU_PERCPU_HASH, several static
 * callbacks (each one a subprogram referenced by BPF_PSEUDO_FUNC).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define MAX_FRAMES	32
#define TOP_N		16

struct frame_key {
	__u64 file_ino;
	__u64 offset;
	__u32 pid;
	__u32 depth;
};

struct walk_ctx {
	__u64 fp;
	__u64 frames[MAX_FRAMES];
	__u32 depth;
};

struct vma_ctx {
	__u64 ip;
	__u64 ino;
	__u64 offset;
};

struct sum_ctx {
	__u64 total;
	__u64 pruned;
	__u64 threshold;
};

struct top_ctx {
	__u32 best_pid;
	__u64 best_count;
	__u32 start;
};

struct prune_args {
	__u64 threshold;
	__u64 total;
	__u64 pruned;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct frame_key);
	__type(value, __u64);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} syscalls_by_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} cpu_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TOP_N);
	__type(key, __u32);
	__type(value, __u32);
} top_pids SEC(".maps");

const volatile __u32 max_depth = MAX_FRAMES;

static int walk_frame(__u32 i, struct walk_ctx *w)
{
	__u64 next[2];

	if (i >= max_depth || !w->fp)
		return 1;
	if (bpf_probe_read_user(next, sizeof(next), (void *)w->fp))
		return 1;
	if (w->depth < MAX_FRAMES)
		w->frames[w->depth++] = next[1];
	w->fp = next[0];
	return 0;
}

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_ctx *v)
{
	struct file *file = vma->vm_file;

	if (!file)
		return 0;
	v->ino = BPF_CORE_READ(file, f_inode, i_ino);
	v->offset = v->ip - vma->vm_start + (vma->vm_pgoff << 12);
	return 0;
}

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	struct walk_ctx w = {};
	struct vma_ctx v = {};
	struct frame_key key = {};
	struct task_struct *task;
	__u64 one = 1, *cnt;

	v.ip = ctx->regs.ip;
	if (v.ip >= 0xffff800000000000ULL)	/* kernel mode sample */
		return 0;
	task = bpf_get_current_task_btf();
	bpf_find_vma(task, v.ip, vma_cb, &v, 0);
	w.fp = ctx->regs.bp;
	bpf_loop(MAX_FRAMES, walk_frame, &w, 0);

	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.file_ino = v.ino;
	key.offset = v.offset;
	key.depth = w.depth;
	cnt = bpf_map_lookup_elem(&samples, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

static long prune_cb(struct bpf_map *map, struct frame_key *key, __u64 *val, struct sum_ctx *s)
{
	s->total += *val;
	if (*val < s->threshold) {
		bpf_map_delete_elem(map, key);
		s->pruned++;
	}
	return 0;
}

static long bucket_cb(struct bpf_map *map, __u32 *key, __u64 *val, struct sum_ctx *s)
{
	s->total += *val;
	*val = 0;
	return 0;
}

SEC("syscall")
int prune_samples(struct prune_args *args)
{
	struct sum_ctx s = { .threshold = args->threshold };

	bpf_for_each_map_elem(&samples, prune_cb, &s, 0);
	bpf_for_each_map_elem(&cpu_buckets, bucket_cb, &s, 0);
	args->total = s.total;
	args->pruned = s.pruned;
	return 0;
}

static int top_cb(__u32 i, struct top_ctx *t)
{
	__u32 slot = i, pid;
	__u32 *p;
	__u64 *cnt;

	p = bpf_map_lookup_elem(&top_pids, &slot);
	if (!p)
		return 1;
	pid = *p;
	cnt = bpf_map_lookup_elem(&syscalls_by_pid, &pid);
	if (cnt && *cnt > t->best_count) {
		t->best_count = *cnt;
		t->best_pid = pid;
	}
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int count_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 cpu = bpf_get_smp_processor_id() & 63;
	struct top_ctx t = {};
	__u64 one = 1, *cnt, *b;

	cnt = bpf_map_lookup_elem(&syscalls_by_pid, &pid);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&syscalls_by_pid, &pid, &one, BPF_ANY);
	b = bpf_map_lookup_elem(&cpu_buckets, &cpu);
	if (b)
		*b += 1;
	if ((pid & 0xff) == 0) {
		bpf_loop(TOP_N, top_cb, &t, 0);
		if (t.best_pid) {
			__u32 slot0 = 0;

			bpf_map_update_elem(&top_pids, &slot0, &t.best_pid, BPF_ANY);
		}
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
