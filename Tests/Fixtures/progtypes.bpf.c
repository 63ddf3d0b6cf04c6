// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * progtypes.bpf.c - one program for each commonly used section name.
 *
 * Covers the program type / expected attach type / attach target that
 * libbpf derives from: tracepoint/, kprobe/, kretprobe/, raw_tp/,
 * raw_tracepoint/, fentry/, fexit/, lsm/, iter/, xdp, tc, socket, tp_btf/.
 * Every program just bumps its own counter in .bss.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

enum {
	C_TRACEPOINT,
	C_KPROBE,
	C_KRETPROBE,
	C_RAW_TP,
	C_RAW_TRACEPOINT,
	C_FENTRY,
	C_FEXIT,
	C_LSM,
	C_ITER,
	C_XDP,
	C_TC,
	C_SOCKET,
	C_TP_BTF,
	C_MAX,
};

__u64 counters[C_MAX];

SEC("tracepoint/sched/sched_process_exec")
int tp_exec(void *ctx)
{
	counters[C_TRACEPOINT]++;
	return 0;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(kp_nanosleep, void *sleeper, int mode)
{
	counters[C_KPROBE] += mode >= 0;
	return 0;
}

SEC("kretprobe/do_nanosleep")
int BPF_KRETPROBE(krp_nanosleep, int ret)
{
	counters[C_KRETPROBE] += ret == 0;
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(rawtp_sys_enter, struct pt_regs *regs, long id)
{
	counters[C_RAW_TP] += id >= 0;
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int BPF_PROG(rawtp_sys_exit, struct pt_regs *regs, long ret)
{
	counters[C_RAW_TRACEPOINT]++;
	return 0;
}

SEC("fentry/do_nanosleep")
int BPF_PROG(fentry_nanosleep, void *sleeper, int mode)
{
	counters[C_FENTRY]++;
	return 0;
}

SEC("fexit/do_nanosleep")
int BPF_PROG(fexit_nanosleep, void *sleeper, int mode, int ret)
{
	counters[C_FEXIT] += ret == 0;
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file)
{
	counters[C_LSM]++;
	return 0;	/* allow */
}

SEC("iter/task")
int iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 pid;

	if (!task)
		return 0;
	pid = task->pid;
	bpf_seq_write(ctx->meta->seq, &pid, sizeof(pid));
	counters[C_ITER]++;
	return 0;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	counters[C_XDP]++;
	return XDP_PASS;
}

SEC("tc")
int tc_ok(struct __sk_buff *skb)
{
	counters[C_TC]++;
	return TC_ACT_OK;
}

SEC("socket")
int socket_all(struct __sk_buff *skb)
{
	counters[C_SOCKET]++;
	return skb->len;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tpbtf_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	counters[C_TP_BTF] += prev->pid != next->pid;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
