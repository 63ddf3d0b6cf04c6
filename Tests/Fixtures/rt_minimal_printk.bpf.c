// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_minimal_printk.bpf.c - the libbpf-bootstrap starter examples rolled
 * into one object (minimal, fentry, kprobe, ksyscall; own code). Pattern:
 * each program prints what it saw with bpf_printk and the user reads
 * /sys/kernel/debug/tracing/trace_pipe; a pid filter is a plain (writable)
 * global set from user space before load.
 * Covers: bpf_printk with 0-3 arguments (formats as static char arrays in
 * .rodata) and with more than 3 (bpf_trace_vprintk, an on-stack u64
 * array), "%s" arguments that are string literals (.rodata.str1.1), a
 * plain int global in .bss (my_pid) and one in .data, tp/syscalls,
 * fentry/fexit do_unlinkat with BPF_PROG (fexit sees the return value),
 * kprobe/kretprobe do_unlinkat with BPF_KPROBE/BPF_KRETPROBE and
 * BPF_CORE_READ of filename->name, ksyscall/kill and ksyscall/tgkill.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

int my_pid = 0;
int verbosity = 1;

static __always_inline bool mine(void)
{
	return !my_pid || (bpf_get_current_pid_tgid() >> 32) == my_pid;
}

SEC("tp/syscalls/sys_enter_write")
int handle_tp(void *ctx)
{
	int pid = bpf_get_current_pid_tgid() >> 32;

	if (pid != my_pid)
		return 0;
	bpf_printk("BPF triggered from PID %d.\n", pid);
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(do_unlinkat_entry, int dfd, struct filename *name)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;

	if (!mine())
		return 0;
	bpf_printk("fentry: pid = %d, filename = %s\n", pid, name->name);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(do_unlinkat_exit, int dfd, struct filename *name, long ret)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;

	if (!mine())
		return 0;
	bpf_printk("fexit: pid = %d, filename = %s, ret = %ld\n", pid, name->name, ret);
	if (verbosity > 1)
		bpf_printk("fexit: dfd=%d name=%s ret=%ld result=%s pid=%d\n", dfd, name->name, ret,
			   ret ? "failed" : "ok", pid);
	return 0;
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kprobe_unlinkat, int dfd, struct filename *name)
{
	const char *filename;
	pid_t pid;

	if (!mine())
		return 0;
	pid = bpf_get_current_pid_tgid() >> 32;
	filename = BPF_CORE_READ(name, name);
	bpf_printk("KPROBE ENTRY pid = %d, filename = %s\n", pid, filename);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(kretprobe_unlinkat, long ret)
{
	pid_t pid = bpf_get_current_pid_tgid() >> 32;

	if (!mine())
		return 0;
	bpf_printk("KPROBE EXIT: pid = %d, ret = %ld (%s)\n", pid, ret, ret < 0 ? "error" : "success");
	return 0;
}

SEC("ksyscall/kill")
int BPF_KSYSCALL(entry_probe, pid_t pid, int sig)
{
	char comm[TASK_COMM_LEN];
	__u32 caller_pid = bpf_get_current_pid_tgid() >> 32;

	if (sig == 0)
		return 0;
	bpf_get_current_comm(&comm, sizeof(comm));
	bpf_printk("KILL syscall called by PID %d (%s) for PID %d with sig %d", caller_pid, comm, pid, sig);
	return 0;
}

SEC("ksyscall/tgkill")
int BPF_KSYSCALL(tgkill_entry, pid_t tgid, pid_t tid, int sig)
{
	if (sig == 0 || !mine())
		return 0;
	bpf_printk("tgkill %d/%d sig %d from %s", tgid, tid, sig, verbosity ? "traced" : "quiet");
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
