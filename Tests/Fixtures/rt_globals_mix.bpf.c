// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_globals_mix.bpf.c - a rule-driven tracer whose configuration lives in
 * global data, in the style of tools like tcptop/sslsniff/ssh-audit that
 * ship default rule tables the user edits through the skeleton before load
 * (own code). Pattern: a default rule table (array of structs) in .data,
 * per-purpose custom sections (.data.policy, .rodata.filters) so user space
 * can mmap and freeze them separately, library-style __weak defaults that
 * another object could override, __hidden internals that stay out of the
 * linked object's interface.
 * Covers: arrays of structs in .data, nested struct/union globals, custom
 * .data.X and .rodata.X sections with exported variables, __weak globals
 * (.data and .bss), __attribute__((visibility("hidden"))) globals, a
 * const volatile 2-D char array (comm filters), a .rodata array of strings,
 * a __weak __hidden global subprogram, a tracepoint on sys_enter_connect.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "rt_common.h"

#define MAX_RULES	8
#define MAX_COMMS	4

enum rule_action { ACT_LOG = 1, ACT_COUNT = 2, ACT_IGNORE = 3 };

/* anonymous struct types on purpose: bpftool copies their definitions
 * into the skeleton, so the header compiles on its own */
typedef struct {
	__u16 port_lo;
	__u16 port_hi;
	__u32 family;
	__u32 action;
	__u64 hits;
} rule_t;

typedef struct {
	union {
		__u32 v4;
		__u8 v6[16];
	} addr;
	__u8 prefix;
	__u8 family;
	__u16 flags;
} cidr_t;

rule_t rules[MAX_RULES] = {
	{ .port_lo = 22, .port_hi = 22, .family = RT_AF_INET, .action = ACT_LOG },
	{ .port_lo = 80, .port_hi = 80, .family = RT_AF_INET, .action = ACT_COUNT },
	{ .port_lo = 443, .port_hi = 443, .family = RT_AF_INET6, .action = ACT_COUNT },
	{ .port_lo = 1024, .port_hi = 65535, .family = 0, .action = ACT_IGNORE },
};
__u32 nr_rules = 4;

cidr_t allowed_nets[4] SEC(".data.policy") = {
	{ .addr.v4 = 0x0000000a, .prefix = 8, .family = RT_AF_INET },
	{ .addr.v4 = 0x000010ac, .prefix = 12, .family = RT_AF_INET },
};
__u32 policy_generation SEC(".data.policy") = 1;

const volatile char ignored_comms[MAX_COMMS][TASK_COMM_LEN] SEC(".rodata.filters") = {
	"sshd", "systemd", "chronyd",
};
const volatile __u32 nr_ignored SEC(".rodata.filters") = 3;

const char *const action_names[4] = { "none", "log", "count", "ignore" };

__weak int verbose = 1;
__weak __u64 weak_counter;
__hidden __u32 internal_state = 7;
__hidden __u64 internal_scratch[4];
__attribute__((visibility("hidden"))) int hidden_flag;

__u64 matched_by_action[4];

__weak __hidden int classify_port(__u16 port, __u32 family)
{
	int i;

	for (i = 0; i < MAX_RULES; i++) {
		if (i >= nr_rules)
			break;
		if (rules[i].family && rules[i].family != family)
			continue;
		if (port >= rules[i].port_lo && port <= rules[i].port_hi) {
			__sync_fetch_and_add(&rules[i].hits, 1);
			return rules[i].action;
		}
	}
	return 0;
}

static __always_inline bool comm_ignored(void)
{
	char comm[TASK_COMM_LEN];
	int i, j;

	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < MAX_COMMS; i++) {
		if (i >= nr_ignored)
			break;
		for (j = 0; j < TASK_COMM_LEN; j++) {
			if (comm[j] != ignored_comms[i][j])
				break;
			if (comm[j] == 0)
				return true;
		}
	}
	return false;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int on_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct sockaddr_in sa = {};
	int action;

	if (comm_ignored())
		return 0;
	if (bpf_probe_read_user(&sa, sizeof(sa), (void *)ctx->args[1]))
		return 0;
	if (sa.sin_family != RT_AF_INET && sa.sin_family != RT_AF_INET6)
		return 0;
	action = classify_port(__builtin_bswap16(sa.sin_port), sa.sin_family);
	if (action < 0 || action > 3)
		return 0;
	matched_by_action[action & 3]++;
	internal_scratch[action & 3] = sa.sin_addr.s_addr;
	weak_counter++;
	if (verbose > 1 && action == ACT_LOG)
		bpf_printk("connect port %d action %s", __builtin_bswap16(sa.sin_port),
			   action_names[action & 3]);
	if (allowed_nets[0].prefix && (sa.sin_addr.s_addr & 0xff) == allowed_nets[0].addr.v4)
		hidden_flag = policy_generation + internal_state;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
