// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_memleak.bpf.c - outstanding allocation tracker in the style of
 * libbpf-tools' memleak (own code). Pattern: uprobes on libc's allocator
 * entry points remember the requested size per thread, uretprobes record
 * (address -> size, stack id), free() forgets it; kernel allocations come
 * from the kmem tracepoints. User space attaches the uprobes to the libc of
 * the target process (plain SEC("uprobe")), while the auto-attach specs
 * SEC("uprobe/libc.so.6:...") show the path:function form.
 * Covers: SEC("uprobe"), SEC("uretprobe"), SEC("uprobe//path:func"),
 * SEC("uretprobe/libc.so.6:func"), tracepoint/kmem/kmalloc and kfree,
 * BPF_KPROBE / BPF_KRETPROBE used on uprobes, a STACK_TRACE map with
 * bpf_get_stackid(BPF_F_USER_STACK | BPF_F_REUSE_STACKID), a
 * combined-allocations HASH updated with __sync atomics, const volatile
 * sample rate / min/max size / page size, a global noinline subprogram
 * and a static noinline one, bpf_printk with 1 and 2 arguments.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rt_common.h"

#define RT_BPF_F_REUSE_STACKID (1ULL << 10)

struct alloc_info {
	__u64 size;
	__u64 timestamp_ns;
	int stack_id;
};

union combined_alloc_info {
	struct {
		__u64 total_size : 40;
		__u64 number_of_allocs : 24;
	};
	__u64 bits;
};

const volatile size_t min_size = 0;
const volatile size_t max_size = -1;
const volatile size_t page_size = 4096;
const volatile __u64 sample_rate = 1;
const volatile bool trace_all = false;
const volatile __u64 stack_flags = 0;
const volatile bool wa_missing_free = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, pid_t);
	__type(value, u64);
	__uint(max_entries, 10240);
} sizes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, struct alloc_info);
	__uint(max_entries, 1000000);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, union combined_alloc_info);
	__uint(max_entries, 10240);
} combined_allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64);
	__type(value, u64);
	__uint(max_entries, 10240);
} memptrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__type(key, u32);
	__uint(value_size, 127 * sizeof(u64));
	__uint(max_entries, 10240);
} stack_traces SEC(".maps");

static __always_inline void update_combined(u64 stack_id, u64 size, int sign)
{
	union combined_alloc_info add = { .total_size = size, .number_of_allocs = 1 };
	union combined_alloc_info *cur;

	cur = bpf_map_lookup_elem(&combined_allocs, &stack_id);
	if (!cur) {
		if (sign < 0)
			return;
		bpf_map_update_elem(&combined_allocs, &stack_id, &add, BPF_NOEXIST);
		return;
	}
	if (sign > 0)
		__sync_fetch_and_add(&cur->bits, add.bits);
	else
		__sync_fetch_and_sub(&cur->bits, add.bits);
}

/* Global function: verified once, on its own, with a scalar argument. */
__noinline int size_wanted(__u64 size)
{
	return size >= min_size && size <= max_size;
}

static __always_inline int enter_alloc(size_t size)
{
	const pid_t tid = (pid_t)bpf_get_current_pid_tgid();

	if (!size_wanted(size))
		return 0;
	if (sample_rate > 1 && bpf_ktime_get_ns() % sample_rate != 0)
		return 0;
	bpf_map_update_elem(&sizes, &tid, &size, BPF_ANY);
	if (trace_all)
		bpf_printk("alloc entered, size = %lu\n", size);
	return 0;
}

static __noinline int exit_alloc(struct pt_regs *ctx, u64 address)
{
	const pid_t tid = (pid_t)bpf_get_current_pid_tgid();
	struct alloc_info info = {};
	u64 *size;

	size = bpf_map_lookup_elem(&sizes, &tid);
	if (!size)
		return 0;
	info.size = *size;
	bpf_map_delete_elem(&sizes, &tid);
	if (address != 0 && address != (u64)-1) {
		info.timestamp_ns = bpf_ktime_get_ns();
		info.stack_id = bpf_get_stackid(ctx, &stack_traces, stack_flags | RT_BPF_F_REUSE_STACKID);
		bpf_map_update_elem(&allocs, &address, &info, BPF_ANY);
		update_combined(info.stack_id, info.size, 1);
	}
	if (trace_all)
		bpf_printk("alloc exited, size = %lu, result = %lx\n", info.size, address);
	return 0;
}

static __always_inline int gen_free_enter(const void *address)
{
	const u64 addr = (u64)address;
	const struct alloc_info *info;

	info = bpf_map_lookup_elem(&allocs, &addr);
	if (!info)
		return 0;
	update_combined(info->stack_id, info->size, -1);
	bpf_map_delete_elem(&allocs, &addr);
	if (trace_all)
		bpf_printk("free entered, address = %lx\n", addr);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, size_t size)
{
	return enter_alloc(size);
}

SEC("uretprobe")
int BPF_KRETPROBE(malloc_exit)
{
	return exit_alloc(ctx, PT_REGS_RC(ctx));
}

SEC("uprobe")
int BPF_KPROBE(free_enter, void *address)
{
	return gen_free_enter(address);
}

SEC("uprobe/libc.so.6:calloc")
int BPF_KPROBE(calloc_enter, size_t nmemb, size_t size)
{
	return enter_alloc(nmemb * size);
}

SEC("uretprobe/libc.so.6:calloc")
int BPF_KRETPROBE(calloc_exit)
{
	return exit_alloc(ctx, PT_REGS_RC(ctx));
}

SEC("uprobe//usr/lib/x86_64-linux-gnu/libc.so.6:realloc")
int BPF_KPROBE(realloc_enter, void *ptr, size_t size)
{
	gen_free_enter(ptr);
	return enter_alloc(size);
}

SEC("uretprobe//usr/lib/x86_64-linux-gnu/libc.so.6:realloc")
int BPF_KRETPROBE(realloc_exit)
{
	return exit_alloc(ctx, PT_REGS_RC(ctx));
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, void **memptr, size_t alignment, size_t size)
{
	const u64 memptr64 = (u64)memptr;
	const u64 tid = (u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&memptrs, &tid, &memptr64, BPF_ANY);
	return enter_alloc(size);
}

SEC("uretprobe")
int BPF_KRETPROBE(posix_memalign_exit)
{
	const u64 tid = (u32)bpf_get_current_pid_tgid();
	u64 *memptr64, addr;
	void *memptr;

	memptr64 = bpf_map_lookup_elem(&memptrs, &tid);
	if (!memptr64)
		return 0;
	memptr = (void *)*memptr64;
	bpf_map_delete_elem(&memptrs, &tid);
	if (bpf_probe_read_user(&addr, sizeof(addr), memptr))
		return 0;
	return exit_alloc(ctx, addr);
}

SEC("tracepoint/kmem/kmalloc")
int memleak__kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	if (wa_missing_free)
		gen_free_enter(ctx->ptr);
	enter_alloc(ctx->bytes_alloc);
	return exit_alloc((struct pt_regs *)ctx, (u64)ctx->ptr);
}

SEC("tracepoint/kmem/kfree")
int memleak__kfree(struct trace_event_raw_kfree *ctx)
{
	return gen_free_enter(ctx->ptr);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
