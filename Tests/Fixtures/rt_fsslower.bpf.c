// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_fsslower.bpf.c - slow file system operation tracer in the style of
 * libbpf-tools' fsslower / fsdist (own code). Pattern: the same
 * entry/exit pair is written twice, as fentry/fexit programs (default) and
 * as kprobe/kretprobe programs (fallback), all declared non-autoloaded with
 * SEC("?...") because user space first retargets them (bpf_program__
 * set_attach_target) at the file system's read_iter/write_iter/open/fsync
 * functions and then enables one set; events above a latency threshold go
 * to a perf event array.
 * Covers: SEC("?fentry/...") / SEC("?fexit/...") / SEC("?kprobe/...") /
 * SEC("?kretprobe/...") (16 programs, none autoloaded), BPF_PROG with fexit
 * return values, kiocb/iov_iter/file/dentry CO-RE reads, a static noinline
 * probe_exit shared by 8 programs, const volatile min_lat_ns / target_pid,
 * a perf event array without max_entries.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "rt_common.h"

#define FILE_NAME_LEN 32

enum fs_file_op {
	F_READ,
	F_WRITE,
	F_OPEN,
	F_FSYNC,
	F_MAX_OP,
};

struct fs_data {
	__u64 ts;
	loff_t start;
	loff_t end;
	struct file *fp;
};

struct fs_event {
	__u64 delta_us;
	__u64 end_ns;
	__s64 offset;
	__s64 size;
	pid_t pid;
	enum fs_file_op op;
	char file[FILE_NAME_LEN];
	char task[TASK_COMM_LEN];
};

const volatile pid_t target_pid = 0;
const volatile __u64 min_lat_ns = 10000000ULL;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct fs_data);
} starts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline int probe_entry(struct file *fp, loff_t start, loff_t end)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct fs_data data;

	if (!fp)
		return 0;
	if (target_pid && target_pid != pid)
		return 0;
	data.ts = bpf_ktime_get_ns();
	data.start = start;
	data.end = end;
	data.fp = fp;
	bpf_map_update_elem(&starts, &tid, &data, BPF_ANY);
	return 0;
}

static __noinline int probe_exit(void *ctx, enum fs_file_op op, ssize_t size)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	__u64 end_ns, delta_ns;
	const __u8 *file_name;
	struct fs_data *datap;
	struct fs_event event = {};
	struct dentry *dentry;
	struct file *fp;

	if (target_pid && target_pid != pid)
		return 0;
	datap = bpf_map_lookup_elem(&starts, &tid);
	if (!datap)
		return 0;
	bpf_map_delete_elem(&starts, &tid);
	end_ns = bpf_ktime_get_ns();
	delta_ns = end_ns - datap->ts;
	if (delta_ns <= min_lat_ns)
		return 0;
	event.delta_us = delta_ns / 1000;
	event.end_ns = end_ns;
	event.offset = datap->start;
	event.size = op != F_FSYNC ? size : datap->end - datap->start;
	event.pid = pid;
	event.op = op;
	fp = datap->fp;
	dentry = BPF_CORE_READ(fp, f_path.dentry);
	file_name = BPF_CORE_READ(dentry, d_name.name);
	bpf_probe_read_kernel_str(&event.file, sizeof(event.file), file_name);
	bpf_get_current_comm(&event.task, sizeof(event.task));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &event, sizeof(event));
	return 0;
}

SEC("?kprobe/dummy_file_read")
int BPF_KPROBE(file_read_entry, struct kiocb *iocb)
{
	struct file *fp = BPF_CORE_READ(iocb, ki_filp);
	loff_t start = BPF_CORE_READ(iocb, ki_pos);

	return probe_entry(fp, start, 0);
}

SEC("?kretprobe/dummy_file_read")
int BPF_KRETPROBE(file_read_exit, ssize_t ret)
{
	return probe_exit(ctx, F_READ, ret);
}

SEC("?kprobe/dummy_file_write")
int BPF_KPROBE(file_write_entry, struct kiocb *iocb)
{
	struct file *fp = BPF_CORE_READ(iocb, ki_filp);
	loff_t start = BPF_CORE_READ(iocb, ki_pos);

	return probe_entry(fp, start, 0);
}

SEC("?kretprobe/dummy_file_write")
int BPF_KRETPROBE(file_write_exit, ssize_t ret)
{
	return probe_exit(ctx, F_WRITE, ret);
}

SEC("?kprobe/dummy_file_open")
int BPF_KPROBE(file_open_entry, struct inode *inode, struct file *file)
{
	return probe_entry(file, 0, 0);
}

SEC("?kretprobe/dummy_file_open")
int BPF_KRETPROBE(file_open_exit)
{
	return probe_exit(ctx, F_OPEN, 0);
}

SEC("?kprobe/dummy_file_sync")
int BPF_KPROBE(file_sync_entry, struct file *file, loff_t start, loff_t end)
{
	return probe_entry(file, start, end);
}

SEC("?kretprobe/dummy_file_sync")
int BPF_KRETPROBE(file_sync_exit)
{
	return probe_exit(ctx, F_FSYNC, 0);
}

SEC("?fentry/dummy_file_read")
int BPF_PROG(file_read_fentry, struct kiocb *iocb)
{
	return probe_entry(iocb->ki_filp, iocb->ki_pos, 0);
}

SEC("?fexit/dummy_file_read")
int BPF_PROG(file_read_fexit, struct kiocb *iocb, struct iov_iter *to, ssize_t ret)
{
	return probe_exit(ctx, F_READ, ret);
}

SEC("?fentry/dummy_file_write")
int BPF_PROG(file_write_fentry, struct kiocb *iocb)
{
	return probe_entry(iocb->ki_filp, iocb->ki_pos, 0);
}

SEC("?fexit/dummy_file_write")
int BPF_PROG(file_write_fexit, struct kiocb *iocb, struct iov_iter *from, ssize_t ret)
{
	return probe_exit(ctx, F_WRITE, ret);
}

SEC("?fentry/dummy_file_open")
int BPF_PROG(file_open_fentry, struct inode *inode, struct file *file)
{
	return probe_entry(file, 0, 0);
}

SEC("?fexit/dummy_file_open")
int BPF_PROG(file_open_fexit)
{
	return probe_exit(ctx, F_OPEN, 0);
}

SEC("?fentry/dummy_file_sync")
int BPF_PROG(file_sync_fentry, struct file *file, loff_t start, loff_t end)
{
	return probe_entry(file, start, end);
}

SEC("?fexit/dummy_file_sync")
int BPF_PROG(file_sync_fexit)
{
	return probe_exit(ctx, F_FSYNC, 0);
}

char LICENSE[] SEC("license") = "GPL";
