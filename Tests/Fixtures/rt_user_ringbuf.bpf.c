// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_user_ringbuf.bpf.c - a two-way control channel in the style of
 * policy agents that push commands into the kernel (own code). Pattern:
 * user space writes add/remove-filter commands into a
 * BPF_MAP_TYPE_USER_RINGBUF; a SEC("syscall") program run on demand and a
 * tracepoint drain it with bpf_user_ringbuf_drain, applying each command to
 * a filter hash and acknowledging through a normal ring buffer.
 * Covers: USER_RINGBUF, bpf_user_ringbuf_drain with static callbacks taking
 * a struct bpf_dynptr *, bpf_dynptr_read, bpf_dynptr_data, a kernel
 * RINGBUF for acknowledgements with bpf_ringbuf_output, a .data sequence
 * counter, a tracepoint consumer (tracepoint/syscalls/sys_enter_getpid).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "rt_common.h"

enum cmd_op {
	CMD_ADD_PID = 1,
	CMD_DEL_PID = 2,
	CMD_CLEAR = 3,
	CMD_SET_RATE = 4,
};

struct ctl_cmd {
	__u32 op;
	__u32 pid;
	__u64 arg;
	__u64 seq;
};

struct ctl_ack {
	__u64 seq;
	__s32 status;
	__u32 op;
};

struct drain_ctx {
	__u32 applied;
	__u32 rejected;
};

__u64 ack_seq = 1;
__u64 rate_limit;

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 256 * 1024);
} commands SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} acks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} filtered_pids SEC(".maps");

static __always_inline void ack(const struct ctl_cmd *cmd, int status)
{
	struct ctl_ack a = { .seq = cmd->seq, .status = status, .op = cmd->op };

	__sync_fetch_and_add(&ack_seq, 1);
	bpf_ringbuf_output(&acks, &a, sizeof(a), 0);
}

static long apply_cmd(struct bpf_dynptr *dynptr, struct drain_ctx *dctx)
{
	struct ctl_cmd cmd;
	__u64 now = bpf_ktime_get_ns();

	if (bpf_dynptr_read(&cmd, sizeof(cmd), dynptr, 0, 0)) {
		dctx->rejected++;
		return 0;
	}
	switch (cmd.op) {
	case CMD_ADD_PID:
		bpf_map_update_elem(&filtered_pids, &cmd.pid, &now, BPF_ANY);
		break;
	case CMD_DEL_PID:
		bpf_map_delete_elem(&filtered_pids, &cmd.pid);
		break;
	case CMD_SET_RATE:
		rate_limit = cmd.arg;
		break;
	default:
		dctx->rejected++;
		ack(&cmd, -22);
		return 0;
	}
	dctx->applied++;
	ack(&cmd, 0);
	return 0;
}

static long peek_cmd(struct bpf_dynptr *dynptr, struct drain_ctx *dctx)
{
	struct ctl_cmd *cmd = bpf_dynptr_data(dynptr, 0, sizeof(*cmd));

	if (!cmd)
		return 1;	/* stop draining */
	if (cmd->op == CMD_CLEAR)
		dctx->applied++;
	return 0;
}

SEC("syscall")
int drain_commands(void *ctx)
{
	struct drain_ctx dctx = {};
	long n;

	n = bpf_user_ringbuf_drain(&commands, apply_cmd, &dctx, 0);
	return n < 0 ? n : dctx.applied;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int drain_on_getpid(void *ctx)
{
	struct drain_ctx dctx = {};
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (!bpf_map_lookup_elem(&filtered_pids, &pid))
		return 0;
	bpf_user_ringbuf_drain(&commands, peek_cmd, &dctx, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
