// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_pid_iter.bpf.c - "which processes hold this BPF object" in the style of
 * bpftool's own pid_iter skeleton (own code). Pattern: an iter/task_file
 * program recognises BPF map/prog/link/BTF file descriptors by their f_op
 * and reports (object id, pid, comm) records through bpf_seq_write.
 * Covers: strong typeless ksyms (extern const void bpf_map_fops __ksym;)
 * that must appear in /proc/kallsyms when the loader is generated - data
 * symbols are only listed with CONFIG_KALLSYMS_ALL=y, so bpftool refuses
 * this object on kernels built without it, while the loader itself
 * resolves them at load time; a const volatile enum object-type
 * selector, bpf_core_field_exists on bpf_link::id, private_data casts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

enum holder_obj {
	HOLDER_PROG,
	HOLDER_MAP,
	HOLDER_LINK,
	HOLDER_BTF,
};

struct holder_rec {
	__u32 id;
	__u32 pid;
	__u64 cookie;
	char comm[TASK_COMM_LEN];
};

extern const void bpf_link_fops __ksym;
extern const void bpf_map_fops __ksym;
extern const void bpf_prog_fops __ksym;
extern const void btf_fops __ksym;

const volatile enum holder_obj obj_type = HOLDER_PROG;

static __always_inline __u32 object_id(enum holder_obj type, void *ent)
{
	switch (type) {
	case HOLDER_PROG:
		return BPF_CORE_READ((struct bpf_prog *)ent, aux, id);
	case HOLDER_MAP:
		return BPF_CORE_READ((struct bpf_map *)ent, id);
	case HOLDER_BTF:
		return BPF_CORE_READ((struct btf *)ent, id);
	case HOLDER_LINK:
		if (bpf_core_field_exists(((struct bpf_link *)ent)->id))
			return BPF_CORE_READ((struct bpf_link *)ent, id);
		return 0;
	default:
		return 0;
	}
}

SEC("iter/task_file")
int iter_holders(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	struct holder_rec rec = {};
	const void *fops;

	if (!file || !task)
		return 0;
	switch (obj_type) {
	case HOLDER_PROG:
		fops = &bpf_prog_fops;
		break;
	case HOLDER_MAP:
		fops = &bpf_map_fops;
		break;
	case HOLDER_BTF:
		fops = &btf_fops;
		break;
	case HOLDER_LINK:
		fops = &bpf_link_fops;
		break;
	default:
		return 0;
	}
	if (file->f_op != fops)
		return 0;
	rec.pid = task->tgid;
	rec.id = object_id(obj_type, file->private_data);
	bpf_probe_read_kernel(&rec.comm, sizeof(rec.comm), task->group_leader->comm);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
