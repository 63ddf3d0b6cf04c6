// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * core.bpf.c - CO-RE relocations of all three families.
 *
 * Field-based: BPF_CORE_READ chain task->real_parent->tgid, direct CO-RE
 *   member loads, bpf_core_field_exists (true, and false via a "___old"
 *   flavour with the pre-5.14 'state' member), bpf_core_field_size,
 *   bpf_core_field_offset, and a 1-bit bitfield (task_struct::in_execve) read
 *   with BPF_CORE_READ_BITFIELD_PROBED and BPF_CORE_READ_BITFIELD.
 * Type-based: bpf_core_type_exists (true and false), bpf_core_type_size,
 *   bpf_core_type_id_kernel. (bpf_core_type_matches is left out: clang 14
 *   cannot compile it, "Incorrect flag for llvm.bpf.preserve.type.info".)
 * Enum-value-based: bpf_core_enum_value_exists (true and false) and
 *   bpf_core_enum_value on the kernel's enum bpf_map_type.
 * Programs: SEC("raw_tp/sched_switch") and SEC("tp_btf/sched_process_exec"),
 * both written with BPF_PROG (tp_btf rather than fentry so that kernels that
 * refuse trampolines still load it).
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Pre-5.14 layout: 'state' was renamed to '__state'. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* A type no kernel has. */
struct lskel_no_such_type {
	int nothing;
} __attribute__((preserve_access_index));

/* A local flavour of enum bpf_map_type with a value no kernel has. */
enum bpf_map_type___lskel {
	BPF_MAP_TYPE_LSKEL_FAKE = 1000,
};

/*
 * Results live in .bss. The struct type is anonymous so bpftool copies its
 * definition into the skeleton (a named struct would be left undefined).
 */
struct {
	__s32 parent_tgid;
	__s32 pid;
	__u32 in_execve_probed;
	__u32 in_execve_direct;
	__u32 has_state_new;
	__u32 has_state_old;
	__u32 pid_size;
	__u32 comm_size;
	__u32 tgid_offset;
	__u32 has_task_struct;
	__u32 has_fake_type;
	__u32 task_struct_size;
	__u32 task_struct_btf_id;
	__u32 has_arena;
	__u32 has_fake_enum;
	__u64 ringbuf_value;
	__u64 arena_value;
	__u32 name_len;
} raw_tp_res, exec_res;

typedef typeof(raw_tp_res) core_results_t;

static __always_inline void fill_common(core_results_t *r)
{
	r->has_state_new = bpf_core_field_exists(struct task_struct, __state);
	r->has_state_old = bpf_core_field_exists(struct task_struct___old, state);
	r->pid_size = bpf_core_field_size(struct task_struct, pid);
	r->comm_size = bpf_core_field_size(struct task_struct, comm);
	r->tgid_offset = bpf_core_field_offset(struct task_struct, tgid);

	r->has_task_struct = bpf_core_type_exists(struct task_struct);
	r->has_fake_type = bpf_core_type_exists(struct lskel_no_such_type);
	r->task_struct_size = bpf_core_type_size(struct task_struct);
	r->task_struct_btf_id = bpf_core_type_id_kernel(struct task_struct);

	r->has_arena = bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_ARENA);
	r->has_fake_enum = bpf_core_enum_value_exists(enum bpf_map_type___lskel,
						      BPF_MAP_TYPE_LSKEL_FAKE);
	r->ringbuf_value = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF);
	if (r->has_arena)
		r->arena_value = bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_ARENA);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(core_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	core_results_t *r = &raw_tp_res;

	/* raw_tp arguments are untrusted: every read is a probe read. */
	r->parent_tgid = BPF_CORE_READ(next, real_parent, tgid);
	r->pid = BPF_CORE_READ(prev, pid);
	r->in_execve_probed = BPF_CORE_READ_BITFIELD_PROBED(next, in_execve);
	fill_common(r);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(core_exec, struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	core_results_t *r = &exec_res;

	r->parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	/* BTF-typed pointers: direct (relocated) loads are allowed. */
	r->pid = task->pid;
	r->in_execve_direct = BPF_CORE_READ_BITFIELD(task, in_execve);
	r->in_execve_probed = BPF_CORE_READ_BITFIELD_PROBED(task, in_execve);
	if (bpf_core_field_exists(bprm->filename))
		r->name_len = bpf_core_field_size(bprm->filename);
	fill_common(r);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
