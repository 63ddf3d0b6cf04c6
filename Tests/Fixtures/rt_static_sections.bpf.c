// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_static_sections.bpf.c - a tool that keeps all of its global data
 * file-local, in the style of kernel samples/bpf and of tools that only
 * talk to user space through maps (own code). Pattern: counters, lookup
 * tables and defaults are `static` (file scope or function scope), so no
 * variable is exported to the skeleton, yet every data section exists.
 * Covers: .bss, .data and .rodata holding only static variables,
 * custom .data.stats and .rodata.tables sections holding only static
 * variables, function-scope statics, static volatiles (so they are not
 * constant-folded), a tp program and a kprobe reading them, a stats map.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rt_common.h"

/* .bss, static only */
static __u64 seen_calls;
static __u32 last_cpu;

/* .data, static only */
static volatile __u32 sample_every = 16;
static volatile __u64 boot_marker = 0x1122334455667788ULL;

/* .rodata, static only. volatile keeps clang from moving the table into a
 * mergeable .rodata.cst32 section while BTF still places it in .rodata,
 * which libbpf 1.1 refuses ("Error finalizing .BTF: -2"). */
static const volatile __u32 prime_table[8] = { 2, 3, 5, 7, 11, 13, 17, 19 };
static const volatile char tool_name[] = "rt_static_sections";

/* custom sections, static only */
static __u64 per_slot_hits[8] SEC(".data.stats") = { 1, 1, 1, 1, 1, 1, 1, 1 };
static const __u16 slot_weights[8] SEC(".rodata.tables") = { 1, 2, 4, 8, 16, 32, 64, 128 };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void publish(__u32 idx, __u64 v)
{
	bpf_map_update_elem(&stats, &idx, &v, BPF_ANY);
}

SEC("tp/sched/sched_process_fork")
int on_fork(void *ctx)
{
	static __u32 forks_seen;
	__u32 slot = bpf_get_prandom_u32() & 7;

	forks_seen++;
	seen_calls++;
	last_cpu = bpf_get_smp_processor_id();
	per_slot_hits[slot] += slot_weights[slot];
	if (seen_calls % sample_every == 0)
		publish(0, seen_calls * prime_table[slot]);
	publish(1, forks_seen);
	return 0;
}

SEC("kprobe/do_exit")
int BPF_KPROBE(on_exit_kprobe, long code)
{
	static const char fmt_tag[] = "exit";

	if (tool_name[0] != 'r' || fmt_tag[0] != 'e')
		return 0;
	publish(2, boot_marker ^ code);
	publish(3, last_cpu);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
