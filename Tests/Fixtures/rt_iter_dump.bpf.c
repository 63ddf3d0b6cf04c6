// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_iter_dump.bpf.c - a kernel object dumper built on BPF iterators, in
 * the style of bpftool's pid_iter / the selftests' bpf_iter_* programs and
 * of "cat /sys/fs/bpf/..." debugging tools (own code). Pattern: one
 * iterator per object kind prints a text table with BPF_SEQ_PRINTF; the
 * file iterator classifies descriptors by comparing f_op against kernel
 * file_operations symbols.
 * Covers: SEC("iter/task"), iter/task_file, iter/task_vma, iter/bpf_map,
 * iter/bpf_prog, iter/tcp, iter/cgroup; BPF_SEQ_PRINTF (format strings in
 * .rodata, bpf_seq_printf with a u64 parameter array), bpf_seq_write,
 * typeless weak ksyms (extern const void bpf_map_fops __ksym __weak) that
 * this kernel may not list in /proc/kallsyms, a long static .rodata table of
 * strings, meta->seq_num headers, a .bss counter array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

extern const void bpf_map_fops __ksym __weak;
extern const void bpf_prog_fops __ksym __weak;
extern const void bpf_link_fops __ksym __weak;
extern const void pipefifo_fops __ksym __weak;

#define TCP_STATES 13

static const char *const tcp_state_names[TCP_STATES] = {
	"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV",
};

/* Longer static table: what a dumper keeps to pretty-print map types. */
static const char map_type_names[][24] = {
	"unspec", "hash", "array", "prog_array", "perf_event_array",
	"percpu_hash", "percpu_array", "stack_trace", "cgroup_array",
	"lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
	"hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash",
	"cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage",
	"queue", "stack", "sk_storage", "devmap_hash", "struct_ops",
	"ringbuf", "inode_storage", "task_storage", "bloom_filter",
	"user_ringbuf", "cgrp_storage", "arena",
};

__u64 rows[8];

const volatile pid_t only_tgid = 0;
const volatile bool skip_kthreads = true;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	__u32 state;

	if (!task) {
		BPF_SEQ_PRINTF(seq, "# %llu tasks\n", rows[0]);
		return 0;
	}
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%8s %8s %8s %-16s\n", "TGID", "PID", "STATE", "COMM");
	if (skip_kthreads && (task->flags & 0x00200000))
		return 0;
	if (only_tgid && task->tgid != only_tgid)
		return 0;
	state = task->__state;
	BPF_SEQ_PRINTF(seq, "%8d %8d %8u %-16s\n", task->tgid, task->pid, state, task->comm);
	rows[0]++;
	return 0;
}

SEC("iter/task_file")
int dump_task_file(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	const void *fops;
	const char *kind = "file";

	if (!task || !file)
		return 0;
	if (only_tgid && task->tgid != only_tgid)
		return 0;
	fops = file->f_op;
	if (&bpf_map_fops && fops == &bpf_map_fops)
		kind = "bpf-map";
	else if (&bpf_prog_fops && fops == &bpf_prog_fops)
		kind = "bpf-prog";
	else if (&bpf_link_fops && fops == &bpf_link_fops)
		kind = "bpf-link";
	else if (&pipefifo_fops && fops == &pipefifo_fops)
		kind = "pipe";
	BPF_SEQ_PRINTF(seq, "%8d %4d %-8s %lu\n", task->tgid, ctx->fd, kind, file->f_inode->i_ino);
	rows[1]++;
	return 0;
}

SEC("iter/task_vma")
int dump_task_vma(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	char perms[5] = "----";
	unsigned long flags;

	if (!task || !vma)
		return 0;
	if (only_tgid && task->tgid != only_tgid)
		return 0;
	flags = vma->vm_flags;
	if (flags & 0x1)
		perms[0] = 'r';
	if (flags & 0x2)
		perms[1] = 'w';
	if (flags & 0x4)
		perms[2] = 'x';
	perms[3] = (flags & 0x8) ? 's' : 'p';
	BPF_SEQ_PRINTF(seq, "%08lx-%08lx %s %lu\n", vma->vm_start, vma->vm_end, perms, vma->vm_pgoff);
	rows[2]++;
	return 0;
}

SEC("iter/bpf_map")
int dump_bpf_map(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;
	__u32 type;

	if (!map)
		return 0;
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%6s %-20s %-16s %10s\n", "ID", "TYPE", "NAME", "ENTRIES");
	type = map->map_type;
	if (type < sizeof(map_type_names) / sizeof(map_type_names[0]))
		BPF_SEQ_PRINTF(seq, "%6u %-20s %-16s %10u\n", map->id, map_type_names[type],
			       map->name, map->max_entries);
	else
		BPF_SEQ_PRINTF(seq, "%6u %-20u %-16s %10u\n", map->id, type, map->name, map->max_entries);
	rows[3]++;
	return 0;
}

SEC("iter/bpf_prog")
int dump_bpf_prog(struct bpf_iter__bpf_prog *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_prog *prog = ctx->prog;
	struct bpf_prog_aux *aux;

	if (!prog)
		return 0;
	aux = prog->aux;
	BPF_SEQ_PRINTF(seq, "%6u %4u %-16s %s\n", aux->id, prog->type, aux->name,
		       aux->attach_func_name);
	rows[4]++;
	return 0;
}

SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	unsigned char state;
	static const char unknown[] = "?";
	const char *name;

	if (!skc)
		return 0;
	state = skc->skc_state;
	name = state < TCP_STATES ? tcp_state_names[state] : unknown;
	BPF_SEQ_PRINTF(seq, "%pI4:%u %pI4:%u %s uid=%u\n", &skc->skc_rcv_saddr, skc->skc_num,
		       &skc->skc_daddr, __builtin_bswap16(skc->skc_dport), name, ctx->uid);
	rows[5]++;
	return 0;
}

SEC("iter/cgroup")
int dump_cgroup(struct bpf_iter__cgroup *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct cgroup *cgrp = ctx->cgroup;
	static const char sep[] = "----\n";

	if (!cgrp) {
		bpf_seq_write(seq, sep, sizeof(sep) - 1);
		return 0;
	}
	BPF_SEQ_PRINTF(seq, "%8llu level=%d %s\n", cgrp->kn->id, cgrp->level, cgrp->kn->name);
	rows[6]++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
