/* The worker's warm-up object: exercises the reader, libbpf and the manifest
 * once before a job, on what real objects carry (maps of two kinds, .data,
 * .bss and .rodata globals, a bpf_printk string, a subprogram, CO-RE field,
 * type and enum relocations, a weak kconfig extern), so that the run-time
 * type instantiations and conformance lookups a job would otherwise make the
 * first time are made in the fork server and inherited by every job. */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} warm_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} warm_events SEC(".maps");

__u64 warm_total;
__u32 warm_seen = 1;
const volatile __u32 warm_filter = 0;
extern unsigned int CONFIG_HZ __kconfig __weak;

static __noinline __u64 warm_add(__u64 value)
{
	return value + warm_seen;
}

SEC("socket")
int warm_prog(void *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&warm_counts, &key);

	if (value)
		warm_total += warm_add(*value);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(warm_exec, struct task_struct *task)
{
	__u32 *event;

	if (warm_filter && BPF_CORE_READ(task, tgid) != warm_filter)
		return 0;
	if (!bpf_core_type_exists(struct task_struct) ||
	    !bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF))
		return 0;
	event = bpf_ringbuf_reserve(&warm_events, sizeof(*event), 0);
	if (!event)
		return 0;
	*event = BPF_CORE_READ(task, real_parent, pid) + CONFIG_HZ;
	bpf_ringbuf_submit(event, 0);
	bpf_printk("warm %d", task->pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
