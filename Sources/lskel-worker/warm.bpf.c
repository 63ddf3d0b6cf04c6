/* The worker's warm-up object: exercises the reader, libbpf and the manifest once before a job. */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} warm_counts SEC(".maps");

__u64 warm_total;

SEC("socket")
int warm_prog(void *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&warm_counts, &key);

	if (value)
		warm_total += *value;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
