// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kconfig.bpf.c - Kconfig and libbpf "virtual" externs (".kconfig").
 *
 * Covers: LINUX_KERNEL_VERSION (virtual extern computed by libbpf), a strong
 * bool CONFIG_BPF_SYSCALL, a weak int CONFIG_HZ, a weak CONFIG that does not
 * exist anywhere (defaults to 0), a tristate (enum libbpf_tristate) and a
 * string option (char array) CONFIG_DEFAULT_HOSTNAME.
 * A tracepoint program copies all of them into .bss.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern int CONFIG_HZ __kconfig __weak;
extern int CONFIG_LSKEL_NOT_A_REAL_OPTION __kconfig __weak;
extern enum libbpf_tristate CONFIG_NET_SCH_INGRESS __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;

int kernel_version;
bool bpf_syscall;
int hz;
int not_real;
int sch_ingress;
char hostname[16];

SEC("tracepoint/syscalls/sys_enter_getpid")
int kconfig_getpid(void *ctx)
{
	int i;

	kernel_version = LINUX_KERNEL_VERSION;
	bpf_syscall = CONFIG_BPF_SYSCALL;
	hz = CONFIG_HZ;
	not_real = CONFIG_LSKEL_NOT_A_REAL_OPTION;
	sch_ingress = CONFIG_NET_SCH_INGRESS;
	for (i = 0; i < sizeof(hostname); i++)
		hostname[i] = CONFIG_DEFAULT_HOSTNAME[i];
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
