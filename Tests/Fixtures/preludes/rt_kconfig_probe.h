/* enum libbpf_tristate comes from <bpf/libbpf.h>, which user space includes anyway */
#include <stdbool.h>
#include <linux/types.h>
struct probe_report { __u32 kver; __u32 hz; __u64 nr_cpus; __u8 jit, preload, cookie, wrapper, absent, pgtable_levels; char hostname[16]; __u64 last_cookie; };
