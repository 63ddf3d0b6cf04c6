/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kernel_types.h - minimal, hand-written kernel/uapi type definitions shared
 * by the BPF C test fixtures in this directory.
 *
 * The fixtures are built WITHOUT vmlinux.h and without the system
 * <linux/bpf.h> (which needs <asm/types.h> from the x86_64 multiarch include
 * dir, not on the -target bpf include path). Everything the fixtures need is
 * declared here instead:
 *
 *   - fixed-width integer typedefs (__u8 .. __u64, __be16, __wsum, ...) used
 *     by libbpf's bpf_helper_defs.h;
 *   - uapi enums/constants (map types, map flags, pinning, XDP/TC actions);
 *   - uapi program contexts (struct xdp_md, struct __sk_buff prefix), which
 *     the verifier rewrites by offset and so must keep the uapi layout;
 *   - a handful of kernel-internal structs (task_struct, pt_regs, file,
 *     bpf_iter__task, ...) marked preserve_access_index so every access to
 *     them becomes a CO-RE relocation; only the members the fixtures touch
 *     are listed, with their real kernel names.
 *
 * Include this BEFORE <bpf/bpf_helpers.h>.
 */
#ifndef __LSKEL_FIXTURE_KERNEL_TYPES_H
#define __LSKEL_FIXTURE_KERNEL_TYPES_H

/*
 * bpf_tracing.h picks kernel pt_regs member names (di, si, ...) only when it
 * believes kernel types are in scope; it keys that off the vmlinux.h include
 * guard. We provide kernel-named pt_regs below, so claim the guard.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__
#endif

/* ---- integer types ---------------------------------------------------- */
typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef int pid_t;
typedef _Bool bool;
#define true 1
#define false 0

/* ---- uapi: map types (enum bpf_map_type, subset, uapi values) ---------- */
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_STACK_TRACE = 7,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_LPM_TRIE = 11,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_ARENA = 33,
};

/* map_flags */
#define BPF_F_NO_PREALLOC	(1U << 0)
#define BPF_F_RDONLY_PROG	(1U << 7)
#define BPF_F_MMAPABLE		(1U << 10)

/* bpf_perf_event_output() / bpf_get_stackid() flags */
#define BPF_F_CURRENT_CPU	0xffffffffULL
#define BPF_F_USER_STACK	(1ULL << 8)

/* map update flags */
#define BPF_ANY		0
#define BPF_NOEXIST	1
#define BPF_EXIST	2

/* ---- uapi: program return codes ---------------------------------------- */
enum xdp_action {
	XDP_ABORTED = 0,
	XDP_DROP,
	XDP_PASS,
	XDP_TX,
	XDP_REDIRECT,
};

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

/* ---- uapi: program contexts (fixed uapi layout, no CO-RE) -------------- */
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};

/* Leading members of struct __sk_buff only (uapi layout). */
struct __sk_buff {
	__u32 len;
	__u32 pkt_type;
	__u32 mark;
	__u32 queue_mapping;
	__u32 protocol;
	__u32 vlan_present;
	__u32 vlan_tci;
	__u32 vlan_proto;
	__u32 priority;
	__u32 ingress_ifindex;
	__u32 ifindex;
};

/* ---- kernel-internal types (CO-RE relocated) --------------------------- */
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

/* x86-64 kernel pt_regs member names (not the uapi rdi/rsi spelling). */
struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

struct mm_struct;

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int prio;
	struct mm_struct *mm;
	unsigned sched_reset_on_fork:1;
	unsigned sched_contributes_to_load:1;
	unsigned in_execve:1;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	char comm[16];
};

struct qstr {
	unsigned int len;
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
};

struct path {
	struct dentry *dentry;
};

struct file {
	unsigned int f_flags;
	struct path f_path;
};

struct filename {
	const char *name;
};

struct linux_binprm {
	const char *filename;
} __attribute__((preserve_access_index));

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
};

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};

#pragma clang attribute pop

#endif /* __LSKEL_FIXTURE_KERNEL_TYPES_H */
