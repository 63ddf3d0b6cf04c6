#include <linux/types.h>
struct compat_report { __u64 state, rss_anon, parent_id; __u32 task_size, comm_size, comm_offset, task_btf_id, local_btf_id; __s32 anon_idx; __u32 has_loop_helper, rq_dev, matches, layout; };
