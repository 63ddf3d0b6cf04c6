// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rt_tracee_like.bpf.c - a runtime security tracer in the style of Tracee's
 * tracee.bpf.c and Falco's modern probe (own code). Pattern: raw syscall
 * tracepoints cache each thread's syscall arguments and tail-call into
 * per-syscall decoders; scheduler, signal, cgroup and network tracepoints
 * and LSM-hook kprobes build one large event in a per-CPU scratch buffer: a
 * task context (pids in every pid namespace, creds and caps, namespace
 * inodes, cgroup ids, tty) plus index-tagged arguments (strings, argv,
 * paths rebuilt from dentry/mount walks, sockaddrs, packet headers, the
 * function pointers of operation tables for rootkit-hook checks), each
 * kernel object tagged with its kernel BTF type id; out via ring buffer or
 * perf array.
 * Covers: a very large .BTF (hundreds of kernel types: task, cred, every
 * namespace, signals, tty, files/inodes/dentries/mounts, bprm, mm/vma,
 * cgroups and controllers, sockets of six families, skb/net_device/dst/
 * conntrack, modules, bpf progs/maps, perf events, io_uring, runqueues,
 * ops tables), "___flavor" structs behind bpf_core_field_exists,
 * bpf_core_type_exists, bpf_core_type_id_kernel, bpf_core_enum_value, a
 * BPF_CORE_READ_BITFIELD_PROBED, a scratch union of UAPI/kernel structs
 * read whole with bpf_probe_read_kernel/_user, an unfilled PROG_ARRAY, LRU
 * hashes, a stack trace map, kernel-style u32/u64 tunables in .rodata (the
 * prelude typedefs them) and counters in .bss, bpf_printk; tracepoint,
 * raw_tp, tp_btf, kprobe and kretprobe programs (24), one __noinline
 * subprogram called from six of them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "rt_common.h"

#define MAX_SYSCALLS		512
#define ARGS_BUF_SIZE		8192
#define ARGS_BUF_MASK		(ARGS_BUF_SIZE - 1)
#define MAX_STR_SIZE		4096
#define MAX_ELEM_SIZE		512
#define MAX_STR_ARR		16
#define PATH_BUF_SIZE		4096
#define PATH_SCRATCH_SIZE	8192
#define PATH_SCRATCH_MASK	(PATH_SCRATCH_SIZE - 1)
#define MAX_PATH_COMPONENTS	24
#define NAME_MASK		255
#define UTS_LEN			16
#define RT_RLIMIT_NOFILE	7
#define RT_IPPROTO_ICMPV6	58
#define MAX_ARG_BTF_IDS		4

/* x86_64 syscall numbers the decoders know */
#define NR_mmap			9
#define NR_mprotect		10
#define NR_connect		42
#define NR_bind			49
#define NR_execve		59
#define NR_kill			62
#define NR_ptrace		101
#define NR_prctl		157
#define NR_init_module		175
#define NR_unshare		272
#define NR_setns		308
#define NR_finit_module		313
#define NR_sched_setattr	314
#define NR_memfd_create		319
#define NR_bpf			321
#define NR_execveat		322
#define NR_clone3		435
#define NR_openat2		437
#define NR_rt_sigaction		13
#define NR_sendmsg		46
#define NR_setsockopt		54
#define NR_capset		126
#define NR_settimeofday		164
#define NR_mq_open		240
#define NR_perf_event_open	298
#define NR_prlimit64		302
#define NR_open_by_handle_at	304
#define NR_seccomp		317
#define NR_pidfd_send_signal	424
#define NR_io_uring_setup	425
#define NR_landlock_create_ruleset	444
#define NR_mount_setattr	442

#define rt_container_of(ptr, type, member) \
	((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))

enum event_id {
	EV_SYS_ENTER = 1,
	EV_SYS_EXIT,
	EV_EXECVE,
	EV_SCHED_FORK,
	EV_SCHED_EXEC,
	EV_SCHED_EXIT,
	EV_SCHED_SWITCH,
	EV_SIGNAL,
	EV_CGROUP_MKDIR,
	EV_CGROUP_ATTACH,
	EV_NET_PACKET,
	EV_BPRM_CHECK,
	EV_FILE_OPEN,
	EV_SOCKET_CONNECT,
	EV_BPF,
	EV_BPF_MAP,
	EV_BPF_PROG,
	EV_FILE_MPROTECT,
	EV_PTRACE,
	EV_COMMIT_CREDS,
	EV_INIT_MODULE,
	EV_INIT_MODULE_RET,
	EV_SWITCH_NS,
	EV_INODE_UNLINK,
	EV_MAX,
};

enum output_mode {
	OUT_RINGBUF,
	OUT_PERF,
};

/* the type tag user space sees in front of every argument */
enum arg_kind {
	ARG_U32 = 1,
	ARG_U64,
	ARG_STR,
	ARG_STR_ARR,
	ARG_BYTES,
	ARG_SOCKADDR,
	ARG_PATH,
};

/* Older kernels' layouts, matched by CO-RE against the running kernel. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

struct task_struct___pre55 {
	u64 real_start_time;
} __attribute__((preserve_access_index));

union kernfs_node_id___pre55 {
	struct {
		u32 ino;
		u32 generation;
	};
	u64 id;
};

struct kernfs_node___pre55 {
	union kernfs_node_id___pre55 id;
} __attribute__((preserve_access_index));

struct kernfs_node___pre615 {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct cred___pre63 {
	struct {
		u32 cap[2];
	} cap_effective;
	struct {
		u32 cap[2];
	} cap_permitted;
} __attribute__((preserve_access_index));

struct inode___pre66 {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

struct inode___pre611 {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct sock___pre56 {
	unsigned int sk_padding : 1,
		     sk_kern_sock : 1,
		     sk_no_check_tx : 1,
		     sk_no_check_rx : 1,
		     sk_userlocks : 4,
		     sk_protocol : 8,
		     sk_type : 16;
} __attribute__((preserve_access_index));

struct file___pre612 {
	struct fown_struct f_owner;
} __attribute__((preserve_access_index));

struct vm_area_struct___pre63 {
	unsigned long vm_flags;
} __attribute__((preserve_access_index));

struct mm_struct___pre6 {
	struct vm_area_struct *mmap;
} __attribute__((preserve_access_index));

struct cfs_rq___pre614 {
	unsigned int nr_running;
	unsigned int h_nr_running;
} __attribute__((preserve_access_index));

struct module___sig {
	bool sig_ok;
} __attribute__((preserve_access_index));

struct net_device___pre67 {
	unsigned int gso_max_size;
} __attribute__((preserve_access_index));

struct task_context {
	u64 start_time;
	u64 leader_start_time;
	u64 parent_start_time;
	u64 cgroup_id;
	u64 cgroup_v1_id;
	u32 pid;
	u32 tid;
	u32 ppid;
	u32 host_pid;
	u32 host_tid;
	u32 host_ppid;
	u32 uid;
	u32 gid;
	u32 euid;
	u32 egid;
	u32 fsuid;
	u32 loginuid;
	u32 sessionid;
	u32 mnt_ns;
	u32 pid_ns;
	u32 pid_for_children_ns;
	u32 net_ns;
	u32 uts_ns;
	u32 ipc_ns;
	u32 user_ns;
	u32 cgroup_ns;
	u32 time_ns;
	u32 user_ns_level;
	u32 pid_ns_level;
	u32 flags;
	u32 state;
	u32 nr_threads;
	s32 oom_score_adj;
	u32 seccomp_mode;
	u32 personality;
	s32 prio;
	u32 policy;
	u32 tty_index;
	u32 exit_signal;
	u64 cap_effective;
	u64 cap_permitted;
	u64 cap_bset;
	u64 utime;
	u64 stime;
	u64 vruntime;
	u64 nvcsw;
	u64 nivcsw;
	u64 rlim_nofile;
	char comm[TASK_COMM_LEN];
	char leader_comm[TASK_COMM_LEN];
	char uts_name[UTS_LEN];
	char tty_name[16];
};

struct event_context {
	u64 ts;
	struct task_context task;
	u32 eventid;
	s32 syscall;
	s64 retval;
	s32 stack_id;
	u16 processor;
	u8 argnum;
	u8 flags;
	u64 matched_policies;
	u32 arg_btf_ids[MAX_ARG_BTF_IDS];
};

struct event_data {
	struct event_context context;
	u32 buf_off;
	u32 btf_ids_used;
	char args[ARGS_BUF_SIZE + MAX_STR_SIZE + 64];
};

struct syscall_data {
	u64 ts;
	u64 args[6];
	s64 ret;
	u32 id;
	u8 entered;
	u8 pad[3];
};

struct task_info {
	struct task_context context;
	struct syscall_data sys;
	u64 matched_policies;
	u8 context_valid;
	u8 container_state;
	u8 follow;
	u8 pad[5];
};

struct proc_info {
	u64 exec_time;
	u64 binary_inode;
	u64 interp_inode;
	u32 binary_dev;
	u32 new_proc;
	u32 argc;
	u32 envc;
	u32 secureexec;
	u32 pad;
	char binary[256];
};

struct net_task_context {
	struct task_context task;
	u64 matched_policies;
	u32 family;
	u32 protocol;
};

struct sock_tuple {
	u8 saddr[16];
	u8 daddr[16];
	u16 sport;
	u16 dport;
	u16 family;
	u16 protocol;
	u16 type;
	u8 state;
	u8 ipv6only;
	u32 bound_dev_if;
	u32 mark;
	u32 priority;
	u32 uid;
	u32 netns;
	u32 rcvbuf;
	u32 sndbuf;
	u32 ack_backlog;
	u32 max_ack_backlog;
	u32 srtt_us;
	u32 snd_cwnd;
	u32 total_retrans;
	u32 mss_cache;
	u32 rto;
	u8 retransmits;
	u8 tos;
	u8 ttl;
	u8 pad;
	u64 cookie;
	u64 bytes_received;
	u64 bytes_acked;
	u64 peer_pid;
	char ca_name[16];
};

/* whatever the decoders copy whole out of kernel or user memory */
union kernel_copy {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
	struct in6_addr a6;
	struct ethhdr eth;
	struct iphdr ip;
	struct ipv6hdr ip6;
	struct tcphdr tcp;
	struct udphdr udp;
	struct icmphdr icmp;
	struct icmp6hdr icmp6;
	struct kernel_siginfo si;
	struct sigaction act;
	struct timespec64 ts;
	struct rlimit rlim;
	struct new_utsname uts;
	struct qstr name;
	struct path path;
	struct perf_event_attr pattr;
	struct bpf_insn insns[8];
	struct sock_filter filt[8];
	struct sock_fprog fprog;
	struct iovec iov[4];
	struct clone_args cargs;
	struct open_how how;
	struct sched_attr sattr;
	struct mount_attr mattr;
	struct io_uring_sqe sqe;
	struct seccomp_data sd;
	struct io_uring_params uparams;
	struct rlimit64 rlim64;
	struct __user_cap_header_struct cap_hdr;
	struct __user_cap_data_struct cap_data[2];
	struct landlock_ruleset_attr ll_attr;
	struct mq_attr mqattr;
	struct user_msghdr umsg;
	struct file_handle fh;
	struct __kernel_timespec kts;
	struct __kernel_old_timeval tv;
	struct timezone tz;
	struct sigevent sev;
	union bpf_attr attr;
};

struct scratch_area {
	char path[PATH_SCRATCH_SIZE];
	union kernel_copy k;
	struct net_task_context nctx;
	struct sock_tuple tuple;
};

/* .rodata: set by the loader before load */
const volatile u32 tracee_pid = 0;
const volatile u64 enabled_events = ~0ULL;
const volatile u32 uid_min = 0;
const volatile u32 uid_max = 0xffffffff;
const volatile bool containers_only = false;
const volatile bool debug_mode = false;
const volatile u32 output_mode = OUT_RINGBUF;
const volatile u32 mnt_ns_filter = 0;
const volatile u32 syscalls_to_submit[16] = {
	NR_openat2, NR_clone3, NR_bpf, NR_memfd_create, NR_setns, NR_unshare, NR_ptrace,
	NR_prctl, NR_init_module, NR_finit_module, NR_perf_event_open, NR_io_uring_setup,
	NR_capset, NR_seccomp, NR_setsockopt, NR_landlock_create_ruleset,
};
const volatile char comm_filter[TASK_COMM_LEN] = {};

/* .bss: counters user space reads through the skeleton */
u64 lost_events = 0;
u64 event_counts[EV_MAX] = {};

static const struct task_info empty_task_info = {};
static const struct proc_info empty_proc_info = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, u32);
	__type(value, u32);
} sys_enter_tails SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct event_data);
} event_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch_area);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct task_info);
} task_info_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 30720);
	__type(key, u32);
	__type(value, struct proc_info);
} proc_info_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65535);
	__type(key, u64);
	__type(value, struct net_task_context);
} sock_inode_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, u8);
} containers_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 2048);
	__uint(key_size, sizeof(u32));
	__uint(value_size, RT_PERF_MAX_STACK_DEPTH * sizeof(u64));
} stack_addresses SEC(".maps");

/* ---------------------------------------------------------------- */
/* reading the task                                                   */
/* ---------------------------------------------------------------- */

static __always_inline u64 get_task_start_time(struct task_struct *task)
{
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	return BPF_CORE_READ((struct task_struct___pre55 *)task, real_start_time);
}

static __always_inline u32 get_task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)task, state);
}

/* the pid of a task as seen from its own pid namespace */
static __always_inline u32 get_task_ns_pid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	return BPF_CORE_READ(pid, numbers[level].nr);
}

static __always_inline u32 get_task_pid_ns_id(struct task_struct *task, u32 *level_out)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);

	*level_out = level;
	return BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
}

static __always_inline u64 get_kernfs_id(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(((struct kernfs_node___pre55 *)kn)->id.id))
		return BPF_CORE_READ((struct kernfs_node___pre55 *)kn, id.id);
	return BPF_CORE_READ(kn, id);
}

static __always_inline struct kernfs_node *get_kernfs_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

static __always_inline u64 get_cgroup_id(struct cgroup *cgrp)
{
	return get_kernfs_id(BPF_CORE_READ(cgrp, kn));
}

static __always_inline u64 get_task_cgroup_v1_id(struct task_struct *task)
{
	int idx = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	struct css_set *cset = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		idx = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	if (idx < 0 || idx >= CGROUP_SUBSYS_COUNT)
		return 0;
	css = BPF_CORE_READ(cset, subsys[idx]);
	if (!css)
		return 0;
	return get_cgroup_id(BPF_CORE_READ(css, cgroup));
}

static __always_inline u64 read_cap(const struct cred *cred, int which)
{
	struct cred___pre63 *old = (void *)cred;

	if (bpf_core_field_exists(old->cap_effective.cap)) {
		u32 lo, hi;

		if (which) {
			lo = BPF_CORE_READ(old, cap_permitted.cap[0]);
			hi = BPF_CORE_READ(old, cap_permitted.cap[1]);
		} else {
			lo = BPF_CORE_READ(old, cap_effective.cap[0]);
			hi = BPF_CORE_READ(old, cap_effective.cap[1]);
		}
		return ((u64)hi << 32) | lo;
	}
	if (which)
		return BPF_CORE_READ(cred, cap_permitted.val);
	return BPF_CORE_READ(cred, cap_effective.val);
}

static __always_inline void fill_namespaces(struct task_struct *task, struct task_context *c)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	struct uts_namespace *uts;
	struct user_namespace *userns;

	if (!nsp)
		return;
	c->mnt_ns = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	c->pid_for_children_ns = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	c->net_ns = BPF_CORE_READ(nsp, net_ns, ns.inum);
	c->ipc_ns = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	c->cgroup_ns = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	if (bpf_core_field_exists(nsp->time_ns))
		c->time_ns = BPF_CORE_READ(nsp, time_ns, ns.inum);
	uts = BPF_CORE_READ(nsp, uts_ns);
	c->uts_ns = BPF_CORE_READ(uts, ns.inum);
	BPF_CORE_READ_STR_INTO(&c->uts_name, uts, name.nodename);
	c->pid_ns = get_task_pid_ns_id(task, &c->pid_ns_level);
	userns = BPF_CORE_READ(task, real_cred, user_ns);
	c->user_ns = BPF_CORE_READ(userns, ns.inum);
	c->user_ns_level = BPF_CORE_READ(userns, level);
}

static __always_inline void fill_task_context(struct task_struct *task, struct task_context *c)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct *parent = BPF_CORE_READ(leader, real_parent);
	const struct cred *cred = BPF_CORE_READ(task, real_cred);
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct tty_struct *tty;

	c->host_tid = BPF_CORE_READ(task, pid);
	c->host_pid = BPF_CORE_READ(task, tgid);
	c->host_ppid = BPF_CORE_READ(parent, tgid);
	c->tid = get_task_ns_pid(task);
	c->pid = get_task_ns_pid(leader);
	c->ppid = get_task_ns_pid(parent);
	c->start_time = get_task_start_time(task);
	c->leader_start_time = get_task_start_time(leader);
	c->parent_start_time = get_task_start_time(parent);
	c->cgroup_id = get_cgroup_id(BPF_CORE_READ(task, cgroups, dfl_cgrp));
	c->cgroup_v1_id = get_task_cgroup_v1_id(task);

	c->uid = BPF_CORE_READ(cred, uid.val);
	c->gid = BPF_CORE_READ(cred, gid.val);
	c->euid = BPF_CORE_READ(cred, euid.val);
	c->egid = BPF_CORE_READ(cred, egid.val);
	c->fsuid = BPF_CORE_READ(cred, fsuid.val);
	c->cap_effective = read_cap(cred, 0);
	c->cap_permitted = read_cap(cred, 1);
	if (bpf_core_field_exists(cred->cap_bset.val))
		c->cap_bset = BPF_CORE_READ(cred, cap_bset.val);
	if (bpf_core_field_exists(task->loginuid))
		c->loginuid = BPF_CORE_READ(task, loginuid.val);
	if (bpf_core_field_exists(task->sessionid))
		c->sessionid = BPF_CORE_READ(task, sessionid);

	fill_namespaces(task, c);

	c->flags = BPF_CORE_READ(task, flags);
	c->state = get_task_state(task);
	c->seccomp_mode = BPF_CORE_READ(task, seccomp.mode);
	c->personality = BPF_CORE_READ(task, personality);
	c->prio = BPF_CORE_READ(task, prio);
	c->policy = BPF_CORE_READ(task, policy);
	c->exit_signal = BPF_CORE_READ(task, exit_signal);
	c->utime = BPF_CORE_READ(task, utime);
	c->stime = BPF_CORE_READ(task, stime);
	c->vruntime = BPF_CORE_READ(task, se.vruntime);
	c->nvcsw = BPF_CORE_READ(task, nvcsw);
	c->nivcsw = BPF_CORE_READ(task, nivcsw);
	BPF_CORE_READ_STR_INTO(&c->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&c->leader_comm, leader, comm);

	c->nr_threads = BPF_CORE_READ(sig, nr_threads);
	c->oom_score_adj = BPF_CORE_READ(sig, oom_score_adj);
	c->rlim_nofile = BPF_CORE_READ(sig, rlim[RT_RLIMIT_NOFILE].rlim_cur);
	tty = BPF_CORE_READ(sig, tty);
	if (tty) {
		c->tty_index = BPF_CORE_READ(tty, index);
		BPF_CORE_READ_STR_INTO(&c->tty_name, tty, name);
	}
}

/* ---------------------------------------------------------------- */
/* event buffer                                                       */
/* ---------------------------------------------------------------- */

static __always_inline struct scratch_area *get_scratch(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&scratch_map, &zero);
}

static __always_inline bool should_trace(struct event_data *d)
{
	struct task_context *c = &d->context.task;
	u64 *pol;

	if (tracee_pid && c->host_pid == tracee_pid)
		return false;
	if (!(enabled_events & (1ULL << (d->context.eventid & 63))))
		return false;
	if (c->uid < uid_min || c->uid > uid_max)
		return false;
	if (mnt_ns_filter && c->mnt_ns != mnt_ns_filter)
		return false;
	if (comm_filter[0] && c->comm[0] != comm_filter[0])
		return false;
	if (containers_only) {
		u8 *state = bpf_map_lookup_elem(&containers_map, &c->cgroup_id);

		if (!state)
			return false;
	}
	pol = bpf_map_lookup_elem(&pid_filter, &c->host_pid);
	d->context.matched_policies = pol ? *pol : ~0ULL;
	return d->context.matched_policies != 0;
}

static __always_inline struct event_data *init_event(u32 eventid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	u32 zero = 0, tid = bpf_get_current_pid_tgid();
	struct event_data *d;
	struct task_info *ti;

	d = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!d)
		return NULL;
	d->buf_off = 0;
	d->btf_ids_used = 0;
	d->context.ts = bpf_ktime_get_ns();
	d->context.eventid = eventid;
	d->context.argnum = 0;
	d->context.flags = 0;
	d->context.retval = 0;
	d->context.stack_id = -1;
	d->context.processor = bpf_get_smp_processor_id();
	d->context.syscall = -1;
	__builtin_memset(d->context.arg_btf_ids, 0, sizeof(d->context.arg_btf_ids));

	ti = bpf_map_lookup_elem(&task_info_map, &tid);
	if (ti && ti->context_valid) {
		__builtin_memcpy(&d->context.task, &ti->context, sizeof(ti->context));
	} else {
		fill_task_context(task, &d->context.task);
		if (ti) {
			__builtin_memcpy(&ti->context, &d->context.task, sizeof(ti->context));
			ti->context_valid = 1;
		}
	}
	if (ti && ti->sys.entered)
		d->context.syscall = ti->sys.id;
	if (!should_trace(d))
		return NULL;
	return d;
}

static __always_inline void invalidate_context(u32 tid)
{
	struct task_info *ti = bpf_map_lookup_elem(&task_info_map, &tid);

	if (ti)
		ti->context_valid = 0;
}

static __always_inline void add_btf_id(struct event_data *d, u32 id)
{
	u32 i = d->btf_ids_used;

	if (i < MAX_ARG_BTF_IDS) {
		d->context.arg_btf_ids[i] = id;
		d->btf_ids_used = i + 1;
	}
}

static __always_inline int save_to_buf(struct event_data *d, const void *ptr, u32 size, u8 index)
{
	u32 off = d->buf_off;

	if (size == 0 || size > MAX_ELEM_SIZE || off >= ARGS_BUF_SIZE)
		return 0;
	barrier_var(off);
	off &= ARGS_BUF_MASK;
	d->args[off] = index;
	if (bpf_probe_read_kernel(&d->args[off + 1], size, ptr))
		return 0;
	d->buf_off = off + 1 + size;
	d->context.argnum++;
	return 1;
}

static __always_inline int save_u32(struct event_data *d, u32 v, u8 index)
{
	return save_to_buf(d, &v, sizeof(v), index);
}

static __always_inline int save_u64(struct event_data *d, u64 v, u8 index)
{
	return save_to_buf(d, &v, sizeof(v), index);
}

static __always_inline int save_str(struct event_data *d, const void *ptr, u8 index, bool user)
{
	u32 off = d->buf_off;
	long sz;

	if (off >= ARGS_BUF_SIZE)
		return 0;
	barrier_var(off);
	off &= ARGS_BUF_MASK;
	d->args[off] = index;
	if (user)
		sz = bpf_probe_read_user_str(&d->args[off + 5], MAX_STR_SIZE, ptr);
	else
		sz = bpf_probe_read_kernel_str(&d->args[off + 5], MAX_STR_SIZE, ptr);
	if (sz <= 0)
		return 0;
	*(u32 *)&d->args[off + 1] = sz;
	d->buf_off = off + 5 + sz;
	d->context.argnum++;
	return 1;
}

/* argv/envp: [index][count][len str]... */
static __always_inline int save_str_arr(struct event_data *d, const char *const *arr, u8 index)
{
	u32 start = d->buf_off, off;
	u8 count = 0;
	int i;

	if (start >= ARGS_BUF_SIZE)
		return 0;
	barrier_var(start);
	start &= ARGS_BUF_MASK;
	d->args[start] = index;
	off = start + 2;
	for (i = 0; i < MAX_STR_ARR; i++) {
		const char *argp = NULL;
		long sz;

		if (bpf_probe_read_user(&argp, sizeof(argp), &arr[i]) || !argp)
			break;
		if (off >= ARGS_BUF_SIZE)
			break;
		barrier_var(off);
	off &= ARGS_BUF_MASK;
		sz = bpf_probe_read_user_str(&d->args[off + 4], MAX_STR_SIZE, argp);
		if (sz <= 0)
			break;
		*(u32 *)&d->args[off] = sz;
		off += 4 + sz;
		count++;
	}
	d->args[(start + 1) & ARGS_BUF_MASK] = count;
	d->buf_off = off;
	d->context.argnum++;
	return count;
}

static __always_inline void submit_event(void *ctx, struct event_data *d)
{
	u64 size = d->buf_off;
	long err;

	size += offsetof(struct event_data, args);
	if (size > sizeof(*d))
		size = sizeof(*d);
	barrier_var(size);
	if (size > sizeof(*d))
		return;
	if (output_mode == OUT_PERF)
		err = bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, d, size);
	else
		err = bpf_ringbuf_output(&events, d, size, 0);
	if (err) {
		__sync_fetch_and_add(&lost_events, 1);
		if (debug_mode)
			bpf_printk("tracee_like: lost event %u (%ld)", d->context.eventid, err);
		return;
	}
	if (d->context.eventid < EV_MAX)
		__sync_fetch_and_add(&event_counts[d->context.eventid], 1);
}

/* ---------------------------------------------------------------- */
/* files and paths                                                    */
/* ---------------------------------------------------------------- */

/*
 * Rebuild a path from a dentry up to the root, crossing mount points,
 * right to left into the scratch buffer; returns where the string starts.
 */
static __noinline u32 get_path_str(struct dentry *dentry, struct vfsmount *vfsmnt, struct scratch_area *s)
{
	struct mount *mnt_p = rt_container_of(vfsmnt, struct mount, mnt);
	struct mount *mnt_parent_p = BPF_CORE_READ(mnt_p, mnt_parent);
	struct dentry *mnt_root, *d_parent;
	u32 off = PATH_BUF_SIZE - 1, len;
	struct qstr d_name;
	long sz;
	int i;

	for (i = 0; i < MAX_PATH_COMPONENTS; i++) {
		mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		d_parent = BPF_CORE_READ(dentry, d_parent);
		if (dentry == mnt_root || dentry == d_parent) {
			if (dentry != mnt_root)
				break;
			if (mnt_p != mnt_parent_p) {
				dentry = BPF_CORE_READ(mnt_p, mnt_mountpoint);
				mnt_p = mnt_parent_p;
				mnt_parent_p = BPF_CORE_READ(mnt_p, mnt_parent);
				vfsmnt = &mnt_p->mnt;
				continue;
			}
			break;
		}
		BPF_CORE_READ_INTO(&d_name, dentry, d_name);
		len = (d_name.len + 1) & NAME_MASK;
		if (len == 0 || len > off)
			break;
		off -= len;
		barrier_var(off);
		off &= PATH_BUF_SIZE - 1;
		barrier_var(len);
		len &= NAME_MASK;
		sz = bpf_probe_read_kernel_str(&s->path[off], len, d_name.name);
		if (sz <= 1)
			break;
		s->path[(off + sz - 1) & PATH_SCRATCH_MASK] = '/';
		dentry = d_parent;
	}
	if (off == PATH_BUF_SIZE - 1) {
		s->path[PATH_BUF_SIZE - 3] = '/';
		s->path[PATH_BUF_SIZE - 2] = 0;
		return PATH_BUF_SIZE - 3;
	}
	s->path[PATH_BUF_SIZE - 2] = 0;
	off = (off - 1) & (PATH_BUF_SIZE - 1);
	s->path[off] = '/';
	return off;
}

static __always_inline int save_path(struct event_data *d, const struct path *path, u8 index)
{
	struct scratch_area *s = get_scratch();
	struct path p;
	u32 off;

	if (!s)
		return 0;
	if (bpf_probe_read_kernel(&p, sizeof(p), path))
		return 0;
	off = get_path_str(p.dentry, p.mnt, s);
	return save_str(d, &s->path[off & (PATH_BUF_SIZE - 1)], index, false);
}

static __always_inline int save_dentry_path(struct event_data *d, struct dentry *dentry,
					    struct vfsmount *mnt, u8 index)
{
	struct scratch_area *s = get_scratch();
	u32 off;

	if (!s)
		return 0;
	off = get_path_str(dentry, mnt, s);
	return save_str(d, &s->path[off & (PATH_BUF_SIZE - 1)], index, false);
}

static __always_inline u64 get_ctime(struct inode *inode)
{
	if (bpf_core_field_exists(inode->i_ctime_sec))
		return BPF_CORE_READ(inode, i_ctime_sec) * NSEC_PER_SEC +
		       BPF_CORE_READ(inode, i_ctime_nsec);
	if (bpf_core_field_exists(((struct inode___pre611 *)inode)->__i_ctime)) {
		struct inode___pre611 *i = (void *)inode;

		return BPF_CORE_READ(i, __i_ctime.tv_sec) * NSEC_PER_SEC +
		       BPF_CORE_READ(i, __i_ctime.tv_nsec);
	}
	return BPF_CORE_READ((struct inode___pre66 *)inode, i_ctime.tv_sec) * NSEC_PER_SEC +
	       BPF_CORE_READ((struct inode___pre66 *)inode, i_ctime.tv_nsec);
}

/* inode number, device, mode, ctime and file system of a file */
static __always_inline void save_file_info(struct event_data *d, struct file *file, u8 index)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct super_block *sb = BPF_CORE_READ(inode, i_sb);
	struct file_system_type *fst = BPF_CORE_READ(sb, s_type);
	struct block_device *bdev = BPF_CORE_READ(sb, s_bdev);
	struct address_space *mapping = BPF_CORE_READ(file, f_mapping);
	struct {
		u64 ino;
		u64 ctime;
		u64 size;
		u64 blocks;
		u64 magic;
		u64 nrpages;
		u64 pos;
		u32 dev;
		u32 rdev;
		u32 bdev;
		u32 mode;
		u32 nlink;
		u32 uid;
		u32 gid;
		u32 flags;
		u32 f_mode;
		u32 owner_pid;
	} fi = {};

	fi.ino = BPF_CORE_READ(inode, i_ino);
	fi.ctime = get_ctime(inode);
	fi.size = BPF_CORE_READ(inode, i_size);
	fi.blocks = BPF_CORE_READ(inode, i_blocks);
	fi.dev = BPF_CORE_READ(sb, s_dev);
	fi.rdev = BPF_CORE_READ(inode, i_rdev);
	fi.magic = BPF_CORE_READ(sb, s_magic);
	fi.mode = BPF_CORE_READ(inode, i_mode);
	fi.nlink = BPF_CORE_READ(inode, __i_nlink);
	fi.uid = BPF_CORE_READ(inode, i_uid.val);
	fi.gid = BPF_CORE_READ(inode, i_gid.val);
	fi.flags = BPF_CORE_READ(file, f_flags);
	fi.f_mode = BPF_CORE_READ(file, f_mode);
	fi.pos = BPF_CORE_READ(file, f_pos);
	fi.nrpages = BPF_CORE_READ(mapping, nrpages);
	if (bdev)
		fi.bdev = BPF_CORE_READ(bdev, bd_dev);
	if (bpf_core_field_exists(((struct file___pre612 *)file)->f_owner.pid))
		fi.owner_pid = (u32)(unsigned long)BPF_CORE_READ((struct file___pre612 *)file, f_owner.pid);
	else
		fi.owner_pid = (u32)(unsigned long)BPF_CORE_READ(file, f_owner, pid);
	save_to_buf(d, &fi, sizeof(fi), index);
	if (fst) {
		const char *name = BPF_CORE_READ(fst, name);

		save_str(d, name, index + 1, false);
	}
	add_btf_id(d, bpf_core_type_id_kernel(struct file));
}

/* ---------------------------------------------------------------- */
/* sockets                                                            */
/* ---------------------------------------------------------------- */

static __always_inline u16 get_sock_protocol(struct sock *sk)
{
	if (bpf_core_field_size(sk->sk_protocol) == 2)
		return BPF_CORE_READ(sk, sk_protocol);
	return BPF_CORE_READ_BITFIELD_PROBED((struct sock___pre56 *)sk, sk_protocol);
}

static __always_inline void read_sock_tuple(struct sock *sk, struct sock_tuple *t)
{
	struct inet_sock *inet = (void *)sk;
	struct net *net;

	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	t->protocol = get_sock_protocol(sk);
	t->type = BPF_CORE_READ(sk, sk_type);
	t->ipv6only = BPF_CORE_READ_BITFIELD_PROBED(sk, __sk_common.skc_ipv6only);
	t->bound_dev_if = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	t->mark = BPF_CORE_READ(sk, sk_mark);
	t->priority = BPF_CORE_READ(sk, sk_priority);
	t->uid = BPF_CORE_READ(sk, sk_uid.val);
	t->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
	t->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	t->ack_backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	t->max_ack_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	t->cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	t->peer_pid = (unsigned long)BPF_CORE_READ(sk, sk_peer_pid);
	net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	t->netns = BPF_CORE_READ(net, ns.inum);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (t->family == RT_AF_INET) {
		BPF_CORE_READ_INTO(t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO(t->daddr, sk, __sk_common.skc_daddr);
		if (!t->sport)
			t->sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
		t->tos = BPF_CORE_READ(inet, tos);
		t->ttl = BPF_CORE_READ(inet, uc_ttl);
	} else if (t->family == RT_AF_INET6) {
		struct ipv6_pinfo *np = BPF_CORE_READ(inet, pinet6);

		BPF_CORE_READ_INTO(t->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(t->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		if (np)
			t->ttl = BPF_CORE_READ(np, hop_limit);
	}
	if (t->protocol == IPPROTO_TCP && t->type == 1 /* SOCK_STREAM */) {
		struct inet_connection_sock *icsk = (void *)sk;
		struct tcp_sock *tp = (void *)sk;
		const struct tcp_congestion_ops *ca = BPF_CORE_READ(icsk, icsk_ca_ops);

		t->retransmits = BPF_CORE_READ(icsk, icsk_retransmits);
		t->rto = BPF_CORE_READ(icsk, icsk_rto);
		t->srtt_us = BPF_CORE_READ(tp, srtt_us);
		t->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
		t->total_retrans = BPF_CORE_READ(tp, total_retrans);
		t->mss_cache = BPF_CORE_READ(tp, mss_cache);
		t->bytes_received = BPF_CORE_READ(tp, bytes_received);
		t->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
		if (ca)
			BPF_CORE_READ_STR_INTO(&t->ca_name, ca, name);
	}
}

static __always_inline u64 get_sock_inode(struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct file *file = BPF_CORE_READ(sock, file);

	return BPF_CORE_READ(file, f_inode, i_ino);
}

/* a sockaddr from kernel memory: family first, then the matching union member */
static __always_inline int save_sockaddr(struct event_data *d, struct sockaddr *addr, int addrlen, u8 index)
{
	struct scratch_area *s = get_scratch();
	u16 family;

	if (!s || !addr)
		return 0;
	if (bpf_probe_read_kernel(&family, sizeof(family), &addr->sa_family))
		return 0;
	switch (family) {
	case RT_AF_INET:
		bpf_probe_read_kernel(&s->k.in4, sizeof(s->k.in4), addr);
		return save_to_buf(d, &s->k.in4, sizeof(s->k.in4), index);
	case RT_AF_INET6:
		bpf_probe_read_kernel(&s->k.in6, sizeof(s->k.in6), addr);
		return save_to_buf(d, &s->k.in6, sizeof(s->k.in6), index);
	case 1: /* AF_UNIX */
		bpf_probe_read_kernel(&s->k.un, sizeof(s->k.un), addr);
		return save_to_buf(d, &s->k.un, sizeof(s->k.un), index);
	default:
		bpf_probe_read_kernel(&s->k.sa, sizeof(s->k.sa), addr);
		return save_to_buf(d, &s->k.sa, sizeof(s->k.sa), index);
	}
}

static __always_inline void save_unix_sock(struct event_data *d, struct sock *sk, u8 index)
{
	struct unix_sock *u = (void *)sk;
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	struct sock *peer = BPF_CORE_READ(u, peer);
	int len;

	if (addr) {
		len = BPF_CORE_READ(addr, len);
		if (len > 0)
			save_to_buf(d, &addr->name[0].sun_path, sizeof(addr->name[0].sun_path), index);
	}
	if (peer)
		save_u64(d, get_sock_inode(peer), index + 1);
	if (BPF_CORE_READ(u, path.dentry))
		save_dentry_path(d, BPF_CORE_READ(u, path.dentry), BPF_CORE_READ(u, path.mnt), index + 2);
}

static __always_inline void remember_sock(struct event_data *d, struct sock *sk, u32 family)
{
	struct scratch_area *s = get_scratch();
	u64 ino = get_sock_inode(sk);

	if (!ino || !s)
		return;
	__builtin_memcpy(&s->nctx.task, &d->context.task, sizeof(s->nctx.task));
	s->nctx.matched_policies = d->context.matched_policies;
	s->nctx.family = family;
	s->nctx.protocol = get_sock_protocol(sk);
	bpf_map_update_elem(&sock_inode_map, &ino, &s->nctx, BPF_ANY);
}

/* ---------------------------------------------------------------- */
/* deeper object state, for the events that carry it                 */
/* ---------------------------------------------------------------- */

#define RT_PROC_SUPER_MAGIC	0x9fa0
#define RT_SOCKFS_MAGIC		0x534F434B
#define RT_TMPFS_MAGIC		0x01021994
#define RT_PIPEFS_MAGIC		0x50495045
#define RT_SYSFS_MAGIC		0x62656572
#define RT_CGROUP2_MAGIC	0x63677270
#define RT_BPF_FS_MAGIC		0xcafe4a11
#define RT_S_IFMT		00170000
#define RT_S_IFCHR		0020000
#define RT_S_IFBLK		0060000
#define RT_AF_NETLINK		16
#define RT_AF_PACKET		17
#define RT_AF_XDP		44
#define RT_PF_KTHREAD		0x00200000

/* what kind of object sits behind an inode, from its file system */
static __always_inline void save_inode_kind(struct event_data *d, struct inode *inode, u8 index)
{
	struct super_block *sb = BPF_CORE_READ(inode, i_sb);
	unsigned long magic = BPF_CORE_READ(sb, s_magic);
	u32 mode = BPF_CORE_READ(inode, i_mode);

	save_u64(d, magic, index);
	if (magic == RT_PROC_SUPER_MAGIC) {
		struct proc_inode *pi = rt_container_of(inode, struct proc_inode, vfs_inode);
		struct pid *pid = BPF_CORE_READ(pi, pid);

		/* /proc/<pid>/mem, /proc/<pid>/environ and friends of another process */
		if (pid)
			save_u32(d, BPF_CORE_READ(pid, numbers[0].nr), index + 1);
		save_u32(d, BPF_CORE_READ(pi, fd), index + 2);
		if (BPF_CORE_READ(pi, pde))
			save_str(d, BPF_CORE_READ(pi, pde, name), index + 3, false);
		if (BPF_CORE_READ(pi, ns_ops))
			save_str(d, BPF_CORE_READ(pi, ns_ops, name), index + 4, false);
		add_btf_id(d, bpf_core_type_id_kernel(struct proc_inode));
	} else if (magic == RT_SOCKFS_MAGIC) {
		struct socket_alloc *sa = rt_container_of(inode, struct socket_alloc, vfs_inode);

		save_u32(d, BPF_CORE_READ(sa, socket.type), index + 1);
		save_u32(d, BPF_CORE_READ(sa, socket.sk, __sk_common.skc_family), index + 2);
		add_btf_id(d, bpf_core_type_id_kernel(struct socket_alloc));
	} else if (magic == RT_TMPFS_MAGIC) {
		struct shmem_inode_info *si = rt_container_of(inode, struct shmem_inode_info, vfs_inode);

		/* memfd seals and the fileless-execution hints tracers look for */
		save_u32(d, BPF_CORE_READ(si, seals), index + 1);
		save_u64(d, BPF_CORE_READ(si, flags), index + 2);
		save_u64(d, BPF_CORE_READ(si, alloced), index + 3);
		add_btf_id(d, bpf_core_type_id_kernel(struct shmem_inode_info));
	} else if (magic == RT_PIPEFS_MAGIC) {
		struct pipe_inode_info *pipe = BPF_CORE_READ(inode, i_pipe);
		struct pipe_buffer *buf = BPF_CORE_READ(pipe, bufs);

		save_u32(d, BPF_CORE_READ(pipe, readers), index + 1);
		save_u32(d, BPF_CORE_READ(pipe, writers), index + 2);
		save_u32(d, BPF_CORE_READ(pipe, ring_size), index + 3);
		/* the dirty-pipe pattern: a page-cache page in a pipe buffer marked mergeable */
		if (buf)
			save_u32(d, BPF_CORE_READ(buf, flags), index + 4);
	} else if (magic == RT_SYSFS_MAGIC || magic == RT_CGROUP2_MAGIC) {
		struct kernfs_node *kn = BPF_CORE_READ(inode, i_private);

		if (kn) {
			save_str(d, BPF_CORE_READ(kn, name), index + 1, false);
			save_u32(d, BPF_CORE_READ(kn, flags), index + 2);
		}
	} else if ((mode & RT_S_IFMT) == RT_S_IFCHR) {
		struct cdev *cdev = BPF_CORE_READ(inode, i_cdev);

		if (cdev) {
			save_u32(d, BPF_CORE_READ(cdev, dev), index + 1);
			struct module *owner = BPF_CORE_READ(cdev, owner);

			if (owner)
				save_str(d, &owner->name, index + 2, false);
			save_str(d, BPF_CORE_READ(cdev, kobj.name), index + 3, false);
		}
	} else if ((mode & RT_S_IFMT) == RT_S_IFBLK || BPF_CORE_READ(sb, s_bdev)) {
		struct block_device *bdev = BPF_CORE_READ(sb, s_bdev);
		struct gendisk *disk = BPF_CORE_READ(bdev, bd_disk);

		if (disk) {
			save_to_buf(d, &disk->disk_name, sizeof(disk->disk_name), index + 1);
			save_u32(d, BPF_CORE_READ(disk, major), index + 2);
			save_u32(d, BPF_CORE_READ(disk, first_minor), index + 3);
			save_u64(d, BPF_CORE_READ(disk, queue, queue_flags), index + 4);
			save_u64(d, BPF_CORE_READ(bdev, bd_nr_sectors), index + 5);
		}
	}
	save_u64(d, (unsigned long)BPF_CORE_READ(inode, i_fop), index + 6);
	save_u64(d, (unsigned long)BPF_CORE_READ(inode, i_op), index + 7);
	save_u64(d, (unsigned long)BPF_CORE_READ(sb, s_op), index + 8);
	if (BPF_CORE_READ(sb, s_user_ns))
		save_u32(d, BPF_CORE_READ(sb, s_user_ns, ns.inum), index + 9);
	if (BPF_CORE_READ(inode, i_fsnotify_marks))
		save_u32(d, BPF_CORE_READ(inode, i_fsnotify_mask), index + 10);
	if (bpf_core_field_exists(inode->i_flctx) && BPF_CORE_READ(inode, i_flctx))
		save_u32(d, 1, index + 11);
	save_u32(d, BPF_CORE_READ(inode, i_mapping, a_ops) != NULL, index + 12);
	add_btf_id(d, bpf_core_type_id_kernel(struct super_block));
}

/* the mm of an exec'ing task: layout, accounting, binary format, aio, uprobes */
static __always_inline void save_mm_info(struct event_data *d, struct mm_struct *mm, u8 index)
{
	struct linux_binfmt *fmt = BPF_CORE_READ(mm, binfmt);
	struct {
		u64 start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
		u64 arg_start, arg_end, env_start, env_end, mmap_base, task_size;
		u64 total_vm, locked_vm, data_vm, exec_vm, stack_vm, hiwater_rss, hiwater_vm;
		u64 rss_file, rss_anon, def_flags, flags, vdso;
		u32 map_count, users;
	} m = {};

	m.start_code = BPF_CORE_READ(mm, start_code);
	m.end_code = BPF_CORE_READ(mm, end_code);
	m.start_data = BPF_CORE_READ(mm, start_data);
	m.end_data = BPF_CORE_READ(mm, end_data);
	m.start_brk = BPF_CORE_READ(mm, start_brk);
	m.brk = BPF_CORE_READ(mm, brk);
	m.start_stack = BPF_CORE_READ(mm, start_stack);
	m.arg_start = BPF_CORE_READ(mm, arg_start);
	m.arg_end = BPF_CORE_READ(mm, arg_end);
	m.env_start = BPF_CORE_READ(mm, env_start);
	m.env_end = BPF_CORE_READ(mm, env_end);
	m.mmap_base = BPF_CORE_READ(mm, mmap_base);
	m.task_size = BPF_CORE_READ(mm, task_size);
	m.total_vm = BPF_CORE_READ(mm, total_vm);
	m.locked_vm = BPF_CORE_READ(mm, locked_vm);
	m.data_vm = BPF_CORE_READ(mm, data_vm);
	m.exec_vm = BPF_CORE_READ(mm, exec_vm);
	m.stack_vm = BPF_CORE_READ(mm, stack_vm);
	m.hiwater_rss = BPF_CORE_READ(mm, hiwater_rss);
	m.hiwater_vm = BPF_CORE_READ(mm, hiwater_vm);
	m.def_flags = BPF_CORE_READ(mm, def_flags);
	if (bpf_core_field_exists(mm->rss_stat)) {
		m.rss_file = BPF_CORE_READ(mm, rss_stat[0].count);
		m.rss_anon = BPF_CORE_READ(mm, rss_stat[1].count);
	}
	if (bpf_core_field_exists(mm->context.vdso))
		m.vdso = (unsigned long)BPF_CORE_READ(mm, context.vdso);
	m.map_count = BPF_CORE_READ(mm, map_count);
	m.users = BPF_CORE_READ(mm, mm_users.counter);
	save_to_buf(d, &m, sizeof(m), index);
	if (fmt) {
		struct module *owner = BPF_CORE_READ(fmt, module);

		if (owner)
			save_str(d, &owner->name, index + 1, false);
	}
	save_u64(d, (unsigned long)BPF_CORE_READ(fmt, load_binary), index + 2);
	if (BPF_CORE_READ(mm, ioctx_table))
		save_u32(d, BPF_CORE_READ(mm, ioctx_table, nr), index + 3);
	if (bpf_core_field_exists(mm->uprobes_state) && BPF_CORE_READ(mm, uprobes_state.xol_area))
		save_u64(d, BPF_CORE_READ(mm, uprobes_state.xol_area, vaddr), index + 4);
	if (BPF_CORE_READ(mm, user_ns))
		save_u32(d, BPF_CORE_READ(mm, user_ns, ns.inum), index + 5);
	if (BPF_CORE_READ(mm, owner))
		save_u32(d, BPF_CORE_READ(mm, owner, pid), index + 6);
	add_btf_id(d, bpf_core_type_id_kernel(struct mm_struct));
}

/* state of a new task that a fork event carries beyond the common context */
static __always_inline void save_task_extra(struct event_data *d, struct task_struct *task, u8 index)
{
	struct seccomp_filter *filter = BPF_CORE_READ(task, seccomp.filter);
	struct io_uring_task *tctx = BPF_CORE_READ(task, io_uring);
	struct task_group *tg = BPF_CORE_READ(task, sched_task_group);
	struct mempolicy *pol = BPF_CORE_READ(task, mempolicy);
	struct {
		u64 fsbase, gsbase, sp, ptrace_dr7;
		u64 rt_timeout, dl_runtime, dl_deadline, dl_period;
		u64 run_delay, pcount;
		u64 pending, blocked, sas_ss_sp;
		u32 seccomp_filters, seccomp_log;
		u32 kthread, nr_cpus_allowed, rt_time_slice, mempolicy_mode;
		u64 tg_shares, autogroup_id;
		u32 audit_major, perf_ctx;
	} x = {};

	x.fsbase = BPF_CORE_READ(task, thread.fsbase);
	x.gsbase = BPF_CORE_READ(task, thread.gsbase);
	x.sp = BPF_CORE_READ(task, thread.sp);
	x.ptrace_dr7 = BPF_CORE_READ(task, thread.ptrace_dr7);
	x.rt_timeout = BPF_CORE_READ(task, rt.timeout);
	x.rt_time_slice = BPF_CORE_READ(task, rt.time_slice);
	x.dl_runtime = BPF_CORE_READ(task, dl.dl_runtime);
	x.dl_deadline = BPF_CORE_READ(task, dl.dl_deadline);
	x.dl_period = BPF_CORE_READ(task, dl.dl_period);
	if (bpf_core_field_exists(task->sched_info))
		x.pcount = BPF_CORE_READ(task, sched_info.pcount);
	x.pending = BPF_CORE_READ(task, pending.signal.sig[0]);
	x.blocked = BPF_CORE_READ(task, blocked.sig[0]);
	x.sas_ss_sp = BPF_CORE_READ(task, sas_ss_sp);
	x.seccomp_filters = BPF_CORE_READ(task, seccomp.filter_count.counter);
	if (filter)
		x.seccomp_log = BPF_CORE_READ(filter, log);
	x.kthread = !!(BPF_CORE_READ(task, flags) & RT_PF_KTHREAD);
	x.nr_cpus_allowed = BPF_CORE_READ(task, nr_cpus_allowed);
	if (pol)
		x.mempolicy_mode = BPF_CORE_READ(pol, mode);
	if (tg) {
		x.tg_shares = BPF_CORE_READ(tg, shares);
		if (BPF_CORE_READ(tg, autogroup))
			x.autogroup_id = BPF_CORE_READ(tg, autogroup, id);
	}
	if (bpf_core_type_exists(struct audit_context) && BPF_CORE_READ(task, audit_context))
		x.audit_major = BPF_CORE_READ(task, audit_context, major);
	if (BPF_CORE_READ(task, perf_event_ctxp))
		x.perf_ctx = BPF_CORE_READ(task, perf_event_ctxp, nr_events);
	save_to_buf(d, &x, sizeof(x), index);
	if (filter && BPF_CORE_READ(filter, prog))
		save_u32(d, BPF_CORE_READ(filter, prog, aux, id), index + 1);
	if (tctx && bpf_core_type_exists(struct io_ring_ctx)) {
		const struct io_ring_ctx *ring = BPF_CORE_READ(tctx, last);

		if (ring) {
			save_u32(d, BPF_CORE_READ(ring, flags), index + 2);
			save_u32(d, BPF_CORE_READ(ring, sq_entries), index + 3);
			save_u32(d, BPF_CORE_READ(ring, cq_entries), index + 4);
			if (BPF_CORE_READ(ring, sq_data))
				save_u32(d, BPF_CORE_READ(ring, sq_data, task_pid), index + 5);
			save_u32(d, BPF_CORE_READ(ring, submitter_task, pid), index + 6);
			add_btf_id(d, bpf_core_type_id_kernel(struct io_ring_ctx));
		}
	}
	if (bpf_core_field_exists(task->bpf_storage) && BPF_CORE_READ(task, bpf_storage))
		save_u32(d, 1, index + 7);
}

/* the kernel's routing, netfilter and device view of a packet */
static __always_inline void save_skb_extra(struct event_data *d, struct sk_buff *skb, u8 index)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	struct skb_shared_info *shinfo = (void *)(head + BPF_CORE_READ(skb, end));
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst);
	struct dst_entry *dst = (void *)(refdst & ~1UL);
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	save_u32(d, BPF_CORE_READ(shinfo, nr_frags), index);
	save_u32(d, BPF_CORE_READ(shinfo, gso_size), index + 1);
	save_u32(d, BPF_CORE_READ(shinfo, gso_type), index + 2);
	if (dst) {
		struct rtable *rt = (void *)dst;

		save_u32(d, BPF_CORE_READ(dst, ops, family), index + 3);
		save_u64(d, BPF_CORE_READ(dst, expires), index + 4);
		if (BPF_CORE_READ(dst, ops, family) == RT_AF_INET)
			save_u32(d, BPF_CORE_READ(rt, rt_gw4), index + 5);
		if (BPF_CORE_READ(dst, xfrm))
			save_u32(d, BPF_CORE_READ(dst, xfrm, id.spi), index + 6);
	}
	if (bpf_core_field_exists(skb->_nfct) && bpf_core_type_exists(struct nf_conn)) {
		struct nf_conn *ct = (void *)(BPF_CORE_READ(skb, _nfct) & ~7UL);

		if (ct) {
			save_u64(d, BPF_CORE_READ(ct, status), index + 7);
			save_u32(d, BPF_CORE_READ(ct, mark), index + 8);
			/*
			 * No bpf_core_type_id_kernel(struct nf_conn) here: the kernel
			 * also has "struct nf_conn___init", a second candidate, and the
			 * in-kernel CO-RE a light skeleton relies on (unlike libbpf,
			 * which drops candidates that failed earlier field relocations)
			 * rejects the type id as ambiguous.
			 */
			save_to_buf(d, &ct->tuplehash[0].tuple, sizeof(ct->tuplehash[0].tuple), index + 9);
		}
	}
	if (bpf_core_field_exists(skb->extensions) && BPF_CORE_READ(skb, active_extensions))
		save_u32(d, BPF_CORE_READ(skb, extensions, chunks), index + 10);
	if (!dev)
		return;
	if (BPF_CORE_READ(dev, qdisc)) {
		const struct Qdisc_ops *qops = BPF_CORE_READ(dev, qdisc, ops);

		save_u32(d, BPF_CORE_READ(dev, qdisc, handle), index + 11);
		save_str(d, &qops->id, index + 12, false);
	}
	if (BPF_CORE_READ(dev, ip_ptr, ifa_list))
		save_u32(d, BPF_CORE_READ(dev, ip_ptr, ifa_list, ifa_address), index + 13);
	if (BPF_CORE_READ(dev, xdp_prog))
		save_u32(d, BPF_CORE_READ(dev, xdp_prog, aux, id), index + 14);
	if (bpf_core_field_exists(dev->tcx_egress))
		save_u32(d, BPF_CORE_READ(dev, tcx_egress) != NULL, index + 15);
	if (BPF_CORE_READ(dev, rtnl_link_ops))
		save_str(d, BPF_CORE_READ(dev, rtnl_link_ops, kind), index + 16, false);
	if (BPF_CORE_READ(dev, dev.driver))
		save_str(d, BPF_CORE_READ(dev, dev.driver, name), index + 17, false);
	if (BPF_CORE_READ(dev, dev.bus))
		save_str(d, BPF_CORE_READ(dev, dev.bus, name), index + 18, false);
	save_u32(d, BPF_CORE_READ(dev, promiscuity), index + 19);
	save_u32(d, BPF_CORE_READ(dev, real_num_tx_queues), index + 20);
	save_u32(d, BPF_CORE_READ(dev, tx_queue_len), index + 21);
	if (BPF_CORE_READ(dev, ip6_ptr))
		save_u32(d, BPF_CORE_READ(dev, ip6_ptr, cnf.forwarding), index + 22);
}

/* the protocol family specifics of a socket */
static __always_inline void save_sock_extra(struct event_data *d, struct sock *sk, u16 family, u8 index)
{
	struct dst_entry *dst = BPF_CORE_READ(sk, sk_dst_cache);
	struct sk_filter *filter = BPF_CORE_READ(sk, sk_filter);
	struct proto *prot = BPF_CORE_READ(sk, __sk_common.skc_prot);

	if (prot)
		save_str(d, &prot->name, index, false);
	if (filter && BPF_CORE_READ(filter, prog))
		save_u32(d, BPF_CORE_READ(filter, prog, len), index + 1);
	if (dst) {
		struct net_device *dev = BPF_CORE_READ(dst, dev);

		if (dev)
			save_str(d, &dev->name, index + 2, false);
	}
	if (BPF_CORE_READ(sk, sk_peer_cred))
		save_u32(d, BPF_CORE_READ(sk, sk_peer_cred, uid.val), index + 3);
	if (bpf_core_field_exists(sk->sk_cgrp_data))
		save_u64(d, get_cgroup_id(BPF_CORE_READ(sk, sk_cgrp_data.cgroup)), index + 4);
	if (BPF_CORE_READ(sk, sk_reuseport_cb))
		save_u32(d, BPF_CORE_READ(sk, sk_reuseport_cb, num_socks), index + 5);
	if (family == RT_AF_NETLINK) {
		struct netlink_sock *nlk = (void *)sk;

		save_u32(d, BPF_CORE_READ(nlk, portid), index + 6);
		save_u32(d, BPF_CORE_READ(nlk, dst_portid), index + 7);
		save_u32(d, BPF_CORE_READ(nlk, ngroups), index + 8);
		add_btf_id(d, bpf_core_type_id_kernel(struct netlink_sock));
	} else if (family == RT_AF_PACKET) {
		struct packet_sock *po = (void *)sk;

		/* raw packet capture: interface, version and rings */
		save_u32(d, BPF_CORE_READ(po, ifindex), index + 6);
		save_u32(d, BPF_CORE_READ(po, tp_version), index + 7);
		save_u32(d, BPF_CORE_READ(po, rx_ring.frame_max), index + 8);
		if (BPF_CORE_READ(po, fanout))
			save_u32(d, BPF_CORE_READ(po, fanout, id), index + 9);
		add_btf_id(d, bpf_core_type_id_kernel(struct packet_sock));
	} else if (family == RT_AF_XDP && bpf_core_type_exists(struct xdp_sock)) {
		struct xdp_sock *xs = (void *)sk;

		save_u32(d, BPF_CORE_READ(xs, queue_id), index + 6);
		save_u32(d, BPF_CORE_READ(xs, zc), index + 7);
		if (BPF_CORE_READ(xs, dev))
			save_u32(d, BPF_CORE_READ(xs, dev, ifindex), index + 8);
	} else if (family == RT_AF_INET || family == RT_AF_INET6) {
		struct inet_connection_sock *icsk = (void *)sk;
		struct inet_sock *inet = (void *)sk;

		if (BPF_CORE_READ(icsk, icsk_af_ops))
			save_u32(d, BPF_CORE_READ(icsk, icsk_af_ops, net_header_len), index + 6);
		if (BPF_CORE_READ(inet, inet_opt))
			save_u32(d, BPF_CORE_READ(inet, inet_opt, opt.optlen), index + 7);
		save_u32(d, BPF_CORE_READ(icsk, icsk_accept_queue.rskq_defer_accept), index + 8);
		if (BPF_CORE_READ(icsk, icsk_bind_hash))
			save_u32(d, BPF_CORE_READ(icsk, icsk_bind_hash, port), index + 9);
		if (get_sock_protocol(sk) == IPPROTO_TCP) {
			struct tcp_sock *tp = (void *)sk;

			save_u32(d, BPF_CORE_READ(tp, rx_opt.mss_clamp), index + 10);
			save_u32(d, BPF_CORE_READ_BITFIELD_PROBED(tp, rx_opt.sack_ok), index + 11);
			if (BPF_CORE_READ(tp, fastopen_rsk))
				save_u32(d, BPF_CORE_READ(tp, fastopen_rsk, num_retrans), index + 12);
		} else if (get_sock_protocol(sk) == IPPROTO_UDP) {
			struct udp_sock *up = (void *)sk;

			save_u32(d, BPF_CORE_READ(up, pending), index + 10);
			save_u64(d, BPF_CORE_READ(up, udp_flags), index + 11);
		}
	}
}

/* every namespace of an nsproxy in full: limits, ownership, hierarchy */
static __always_inline void save_ns_details(struct event_data *d, struct nsproxy *nsp, u8 index)
{
	struct pid_namespace *pidns = BPF_CORE_READ(nsp, pid_ns_for_children);
	struct user_namespace *userns = BPF_CORE_READ(pidns, user_ns);
	struct ipc_namespace *ipcns = BPF_CORE_READ(nsp, ipc_ns);
	struct uts_namespace *utsns = BPF_CORE_READ(nsp, uts_ns);
	struct net *net = BPF_CORE_READ(nsp, net_ns);
	struct mnt_namespace *mntns = BPF_CORE_READ(nsp, mnt_ns);
	struct {
		u32 pid_level, pid_allocated, reaper_pid, pid_max;
		u32 user_level, user_owner, user_group, uid_extents, uid_first, uid_lower, uid_count;
		u32 gid_extents, user_parent_ns;
		u32 msg_ctlmax, mq_queues_max, shm_ctlmni, sem_in_use;
		u64 shm_ctlmax;
		u32 net_ifindex, somaxconn, ip_default_ttl, ip_fwd_use_pmtu, unix_max_dgram_qlen;
		u32 lo_ifindex, ipv6_forwarding, tcp_syncookies;
		u64 net_cookie;
		u32 mnt_nr_mounts, mnt_root_id;
	} n = {};

	n.pid_level = BPF_CORE_READ(pidns, level);
	n.pid_allocated = BPF_CORE_READ(pidns, pid_allocated);
	n.reaper_pid = BPF_CORE_READ(pidns, child_reaper, pid);
	if (bpf_core_field_exists(pidns->pid_max))
		n.pid_max = BPF_CORE_READ(pidns, pid_max);
	n.user_level = BPF_CORE_READ(userns, level);
	n.user_owner = BPF_CORE_READ(userns, owner.val);
	n.user_group = BPF_CORE_READ(userns, group.val);
	n.uid_extents = BPF_CORE_READ(userns, uid_map.nr_extents);
	n.uid_first = BPF_CORE_READ(userns, uid_map.extent[0].first);
	n.uid_lower = BPF_CORE_READ(userns, uid_map.extent[0].lower_first);
	n.uid_count = BPF_CORE_READ(userns, uid_map.extent[0].count);
	n.gid_extents = BPF_CORE_READ(userns, gid_map.nr_extents);
	n.user_parent_ns = BPF_CORE_READ(userns, parent, ns.inum);
	n.msg_ctlmax = BPF_CORE_READ(ipcns, msg_ctlmax);
	n.mq_queues_max = BPF_CORE_READ(ipcns, mq_queues_max);
	n.shm_ctlmni = BPF_CORE_READ(ipcns, shm_ctlmni);
	n.shm_ctlmax = BPF_CORE_READ(ipcns, shm_ctlmax);
	n.sem_in_use = BPF_CORE_READ(ipcns, ids[0].in_use);
	n.net_ifindex = BPF_CORE_READ(net, ifindex);
	n.somaxconn = BPF_CORE_READ(net, core.sysctl_somaxconn);
	n.ip_default_ttl = BPF_CORE_READ(net, ipv4.sysctl_ip_default_ttl);
	n.ip_fwd_use_pmtu = BPF_CORE_READ(net, ipv4.sysctl_ip_fwd_use_pmtu);
	n.tcp_syncookies = BPF_CORE_READ(net, ipv4.sysctl_tcp_syncookies);
	n.unix_max_dgram_qlen = BPF_CORE_READ(net, unx.sysctl_max_dgram_qlen);
	n.lo_ifindex = BPF_CORE_READ(net, loopback_dev, ifindex);
	n.ipv6_forwarding = BPF_CORE_READ(net, ipv6.devconf_all, forwarding);
	n.net_cookie = BPF_CORE_READ(net, net_cookie);
	n.mnt_nr_mounts = BPF_CORE_READ(mntns, nr_mounts);
	n.mnt_root_id = BPF_CORE_READ(mntns, root, mnt_id);
	save_to_buf(d, &n, sizeof(n), index);
	save_str(d, &utsns->name.sysname, index + 1, false);
	save_str(d, &utsns->name.release, index + 2, false);
	save_str(d, &utsns->name.machine, index + 3, false);
	save_str(d, BPF_CORE_READ(mntns, root, mnt_devname), index + 4, false);
	add_btf_id(d, bpf_core_type_id_kernel(struct net));
	add_btf_id(d, bpf_core_type_id_kernel(struct user_namespace));
}

/* keyrings and the user behind a set of credentials */
static __always_inline void save_cred_keys(struct event_data *d, const struct cred *cred, u8 index)
{
	struct key *keys[3];
	int i;

	if (!bpf_core_type_exists(struct key) || !bpf_core_field_exists(cred->session_keyring))
		return;
	keys[0] = BPF_CORE_READ(cred, session_keyring);
	keys[1] = BPF_CORE_READ(cred, process_keyring);
	keys[2] = BPF_CORE_READ(cred, thread_keyring);
#pragma unroll
	for (i = 0; i < 3; i++) {
		struct key *k = keys[i];

		if (!k)
			continue;
		save_u32(d, BPF_CORE_READ(k, serial), index + 4 * i);
		save_u32(d, BPF_CORE_READ(k, perm), index + 4 * i + 1);
		save_str(d, BPF_CORE_READ(k, type, name), index + 4 * i + 2, false);
		save_str(d, BPF_CORE_READ(k, description), index + 4 * i + 3, false);
	}
	save_u64(d, BPF_CORE_READ(cred, user, locked_vm.counter), index + 12);
	save_u64(d, BPF_CORE_READ(cred, ucounts, ucount[0].counter), index + 13);
}

/* hardware breakpoints a tracer set on a task through ptrace */
static __always_inline void save_ptrace_bps(struct event_data *d, struct task_struct *task, u8 index)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		struct perf_event *bp = BPF_CORE_READ(task, thread.ptrace_bps[i]);

		if (!bp)
			continue;
		save_u64(d, BPF_CORE_READ(bp, attr.bp_addr), index + 4 * i);
		save_u32(d, BPF_CORE_READ(bp, attr.bp_type), index + 4 * i + 1);
		save_u32(d, BPF_CORE_READ(bp, attr.type), index + 4 * i + 2);
		save_str(d, BPF_CORE_READ(bp, pmu, name), index + 4 * i + 3, false);
	}
	add_btf_id(d, bpf_core_type_id_kernel(struct perf_event));
}

/* a module's symbol, section, tracepoint and parameter tables */
static __always_inline void save_module_tables(struct event_data *d, struct module *mod, u8 index)
{
	struct kernel_param *kp = BPF_CORE_READ(mod, kp);
	struct bpf_raw_event_map *raw = BPF_CORE_READ(mod, bpf_raw_events);
	struct trace_event_call **calls = BPF_CORE_READ(mod, trace_events);
	struct trace_event_call *call = NULL;

	if (BPF_CORE_READ(mod, kallsyms))
		save_u32(d, BPF_CORE_READ(mod, kallsyms, num_symtab), index);
	save_u32(d, BPF_CORE_READ(mod, core_kallsyms.num_symtab), index + 1);
	save_u64(d, (unsigned long)BPF_CORE_READ(mod, mem[MOD_TEXT].base), index + 2);
	save_u32(d, BPF_CORE_READ(mod, mem[MOD_DATA].size), index + 3);
	save_u32(d, BPF_CORE_READ(mod, mem[MOD_RODATA].size), index + 4);
	if (kp) {
		save_str(d, BPF_CORE_READ(kp, name), index + 5, false);
		save_u32(d, BPF_CORE_READ(kp, perm), index + 6);
	}
	if (raw && BPF_CORE_READ(raw, tp))
		save_str(d, BPF_CORE_READ(raw, tp, name), index + 7, false);
	if (calls) {
		bpf_probe_read_kernel(&call, sizeof(call), calls);
		if (call)
			save_str(d, BPF_CORE_READ(call, class, system), index + 8, false);
	}
	save_u32(d, BPF_CORE_READ(mod, num_trace_events), index + 9);
	save_u32(d, BPF_CORE_READ(mod, num_ftrace_callsites), index + 10);
	if (BPF_CORE_READ(mod, mkobj.kobj.parent))
		save_str(d, BPF_CORE_READ(mod, mkobj.kobj.parent, name), index + 11, false);
	if (BPF_CORE_READ(mod, mkobj.kobj.kset))
		save_str(d, BPF_CORE_READ(mod, mkobj.kobj.kset, kobj.name), index + 12, false);
	save_u32(d, BPF_CORE_READ_BITFIELD_PROBED(mod, mkobj.kobj.state_in_sysfs), index + 13);
	if (BPF_CORE_READ(mod, mkobj.kobj.sd))
		save_u64(d, get_kernfs_id(BPF_CORE_READ(mod, mkobj.kobj.sd)), index + 14);
	if (BPF_CORE_READ(mod, modinfo_attrs))
		save_str(d, BPF_CORE_READ(mod, modinfo_attrs, attr.name), index + 15, false);
}

/* what a BPF program is attached to and owned by */
static __always_inline void save_bpf_prog_extra(struct event_data *d, struct bpf_prog *prog, u8 index)
{
	struct bpf_prog_aux *aux = BPF_CORE_READ(prog, aux);

	if (BPF_CORE_READ(aux, btf))
		save_u32(d, BPF_CORE_READ(aux, btf, id), index);
	if (BPF_CORE_READ(aux, attach_btf))
		save_u32(d, BPF_CORE_READ(aux, attach_btf, id), index + 1);
	save_u32(d, BPF_CORE_READ(aux, attach_btf_id), index + 2);
	if (BPF_CORE_READ(aux, dst_trampoline))
		save_u64(d, BPF_CORE_READ(aux, dst_trampoline, key), index + 3);
	if (BPF_CORE_READ(aux, user))
		save_u32(d, BPF_CORE_READ(aux, user, uid.val), index + 4);
	if (bpf_core_field_exists(aux->token) && BPF_CORE_READ(aux, token)) {
		save_u64(d, BPF_CORE_READ(aux, token, allowed_cmds), index + 5);
		save_u32(d, BPF_CORE_READ(aux, token, userns, ns.inum), index + 6);
	}
	save_u64(d, BPF_CORE_READ(aux, ksym.start), index + 7);
	save_u32(d, BPF_CORE_READ(aux, func_cnt), index + 8);
	save_u32(d, BPF_CORE_READ(aux, stack_depth), index + 9);
	if (BPF_CORE_READ(aux, offload))
		save_u32(d, BPF_CORE_READ(aux, offload, netdev, ifindex), index + 10);
	if (bpf_core_enum_value_exists(enum bpf_prog_type, BPF_PROG_TYPE_NETFILTER) &&
	    BPF_CORE_READ(prog, type) == bpf_core_enum_value(enum bpf_prog_type, BPF_PROG_TYPE_NETFILTER))
		d->context.flags |= 2;
}

/* the table behind a map: array slots, hash buckets */
static __always_inline void save_bpf_map_extra(struct event_data *d, struct bpf_map *map, u8 index)
{
	u32 type = BPF_CORE_READ(map, map_type);

	if (BPF_CORE_READ(map, btf))
		save_u32(d, BPF_CORE_READ(map, btf, id), index);
	if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct bpf_array *array = rt_container_of(map, struct bpf_array, map);

		save_u32(d, BPF_CORE_READ(array, elem_size), index + 1);
		save_u32(d, BPF_CORE_READ(array, index_mask), index + 2);
		add_btf_id(d, bpf_core_type_id_kernel(struct bpf_array));
	} else if ((type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH) &&
		   bpf_core_type_exists(struct bpf_htab)) {
		struct bpf_htab *htab = rt_container_of(map, struct bpf_htab, map);

		save_u32(d, BPF_CORE_READ(htab, n_buckets), index + 1);
		save_u32(d, BPF_CORE_READ(htab, count.counter), index + 2);
		add_btf_id(d, bpf_core_type_id_kernel(struct bpf_htab));
	}
	if (BPF_CORE_READ(map, owner))
		save_u32(d, BPF_CORE_READ(map, owner, type), index + 3);
	if (BPF_CORE_READ(map, objcg))
		save_u32(d, 1, index + 4);
}

/* the controllers a new cgroup gets: memory, pids, cpu and attached BPF */
static __always_inline void save_cgroup_controllers(struct event_data *d, struct cgroup *cgrp, u8 index)
{
	struct cgroup_subsys_state *css;
	int mem = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	int pids = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	int cpu = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);

	if (mem >= 0 && mem < CGROUP_SUBSYS_COUNT && bpf_core_type_exists(struct mem_cgroup)) {
		css = BPF_CORE_READ(cgrp, subsys[mem]);
		if (css) {
			struct mem_cgroup *memcg = rt_container_of(css, struct mem_cgroup, css);

			save_u64(d, BPF_CORE_READ(memcg, memory.usage.counter), index);
			save_u64(d, BPF_CORE_READ(memcg, memory.max), index + 1);
			save_u32(d, BPF_CORE_READ(memcg, oom_group), index + 2);
			save_str(d, BPF_CORE_READ(css, ss, name), index + 3, false);
		}
	}
	if (pids >= 0 && pids < CGROUP_SUBSYS_COUNT && bpf_core_type_exists(struct pids_cgroup)) {
		css = BPF_CORE_READ(cgrp, subsys[pids]);
		if (css) {
			struct pids_cgroup *pc = rt_container_of(css, struct pids_cgroup, css);

			save_u64(d, BPF_CORE_READ(pc, limit.counter), index + 4);
		}
	}
	if (cpu >= 0 && cpu < CGROUP_SUBSYS_COUNT) {
		css = BPF_CORE_READ(cgrp, subsys[cpu]);
		if (css) {
			struct task_group *tg = rt_container_of(css, struct task_group, css);

			save_u64(d, BPF_CORE_READ(tg, shares), index + 5);
			save_u64(d, BPF_CORE_READ(tg, cfs_bandwidth.quota), index + 6);
		}
	}
	if (bpf_core_field_exists(cgrp->bpf))
		save_u32(d, BPF_CORE_READ(cgrp, bpf.effective[0]) != NULL, index + 7);
	save_u32(d, BPF_CORE_READ(cgrp, max_depth), index + 8);
	save_u64(d, BPF_CORE_READ(cgrp, flags), index + 9);
	save_u32(d, BPF_CORE_READ(cgrp, freezer.freeze), index + 10);
	if (BPF_CORE_READ(cgrp, root, kf_root))
		save_u32(d, BPF_CORE_READ(cgrp, root, kf_root, flags), index + 11);
	{
		struct cgroup_root *root = BPF_CORE_READ(cgrp, root);

		save_str(d, &root->name, index + 12, false);
	}
}

/* tty of a session: driver, line discipline, terminal settings */
static __always_inline void save_tty_info(struct event_data *d, struct tty_struct *tty, u8 index)
{
	if (!tty)
		return;
	save_str(d, &tty->name, index, false);
	save_str(d, BPF_CORE_READ(tty, driver, driver_name), index + 1, false);
	save_u32(d, BPF_CORE_READ(tty, driver, major), index + 2);
	save_u32(d, BPF_CORE_READ(tty, driver, type), index + 3);
	save_u32(d, BPF_CORE_READ(tty, termios.c_lflag), index + 4);
	save_u32(d, BPF_CORE_READ(tty, winsize.ws_row), index + 5);
	save_u32(d, BPF_CORE_READ(tty, winsize.ws_col), index + 6);
	if (BPF_CORE_READ(tty, ldisc))
		save_str(d, BPF_CORE_READ(tty, ldisc, ops, name), index + 7, false);
	if (BPF_CORE_READ(tty, ctrl.session))
		save_u32(d, BPF_CORE_READ(tty, ctrl.session, numbers[0].nr), index + 8);
}

/* stdin/stdout/stderr of a new program: a socket there is a reverse shell */
static __always_inline void save_stdio_sockets(struct event_data *d, struct task_struct *task, u8 index)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	int i;

	if (BPF_CORE_READ(fdt, max_fds) < 3)
		return;
#pragma unroll
	for (i = 0; i < 3; i++) {
		struct file *f = NULL;
		struct inode *inode;

		bpf_probe_read_kernel(&f, sizeof(f), &fds[i]);
		if (!f)
			continue;
		inode = BPF_CORE_READ(f, f_inode);
		if ((BPF_CORE_READ(inode, i_mode) & RT_S_IFMT) == 0140000 /* S_IFSOCK */) {
			struct socket_alloc *sa = rt_container_of(inode, struct socket_alloc, vfs_inode);
			struct sock *sk = BPF_CORE_READ(sa, socket.sk);

			save_u32(d, BPF_CORE_READ(sk, __sk_common.skc_family), index + 3 * i);
			save_u32(d, BPF_CORE_READ(sk, __sk_common.skc_daddr), index + 3 * i + 1);
			save_u32(d, bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)), index + 3 * i + 2);
		}
	}
}

/* ---------------------------------------------------------------- */
/* operation table integrity (rootkit hooks)                          */
/* ---------------------------------------------------------------- */

/*
 * A rootkit hides files, sockets and processes by swapping function
 * pointers in the kernel's operation tables. These events carry the
 * pointers (and the table address and its kernel BTF type id) so user
 * space can check each one against the kernel's text and symbols.
 */
enum ops_kind {
	OPS_FILE = 1,
	OPS_INODE,
	OPS_SUPER,
	OPS_AOPS,
	OPS_DENTRY,
	OPS_SEQ,
	OPS_VM,
	OPS_NETDEV,
	OPS_ETHTOOL,
	OPS_HEADER,
	OPS_BPF_MAP,
	OPS_TTY,
	OPS_BDEV,
	OPS_SCHED,
	OPS_PROTO,
	OPS_PROTO_OPS,
};

struct ops_ptrs {
	u64 table;
	u64 fn[8];
	u32 kind;
	u32 btf_id;
};

static __always_inline void save_ops(struct event_data *d, struct ops_ptrs *o, u8 index)
{
	if (o->table)
		save_to_buf(d, o, sizeof(*o), index);
}

static __always_inline void save_file_ops(struct event_data *d, struct file *file, u8 index)
{
	const struct file_operations *fop = BPF_CORE_READ(file, f_op);
	struct ops_ptrs o = {};

	o.table = (unsigned long)fop;
	o.kind = OPS_FILE;
	o.btf_id = bpf_core_type_id_kernel(struct file_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(fop, read);
	o.fn[1] = (unsigned long)BPF_CORE_READ(fop, write);
	o.fn[2] = (unsigned long)BPF_CORE_READ(fop, read_iter);
	o.fn[3] = (unsigned long)BPF_CORE_READ(fop, iterate_shared);
	o.fn[4] = (unsigned long)BPF_CORE_READ(fop, open);
	o.fn[5] = (unsigned long)BPF_CORE_READ(fop, mmap);
	o.fn[6] = (unsigned long)BPF_CORE_READ(fop, unlocked_ioctl);
	o.fn[7] = (unsigned long)BPF_CORE_READ(fop, owner);
	save_ops(d, &o, index);
}

static __always_inline void save_inode_ops(struct event_data *d, struct inode *inode, u8 index)
{
	const struct inode_operations *iop = BPF_CORE_READ(inode, i_op);
	struct super_block *sb = BPF_CORE_READ(inode, i_sb);
	const struct super_operations *sop = BPF_CORE_READ(sb, s_op);
	const struct address_space_operations *aops = BPF_CORE_READ(inode, i_mapping, a_ops);
	struct ops_ptrs o = {};

	o.table = (unsigned long)iop;
	o.kind = OPS_INODE;
	o.btf_id = bpf_core_type_id_kernel(struct inode_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(iop, lookup);
	o.fn[1] = (unsigned long)BPF_CORE_READ(iop, permission);
	o.fn[2] = (unsigned long)BPF_CORE_READ(iop, getattr);
	o.fn[3] = (unsigned long)BPF_CORE_READ(iop, unlink);
	o.fn[4] = (unsigned long)BPF_CORE_READ(iop, rename);
	o.fn[5] = (unsigned long)BPF_CORE_READ(iop, setattr);
	o.fn[6] = (unsigned long)BPF_CORE_READ(iop, get_link);
	o.fn[7] = (unsigned long)BPF_CORE_READ(iop, listxattr);
	save_ops(d, &o, index);

	__builtin_memset(&o, 0, sizeof(o));
	o.table = (unsigned long)sop;
	o.kind = OPS_SUPER;
	o.btf_id = bpf_core_type_id_kernel(struct super_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(sop, alloc_inode);
	o.fn[1] = (unsigned long)BPF_CORE_READ(sop, statfs);
	o.fn[2] = (unsigned long)BPF_CORE_READ(sop, show_options);
	o.fn[3] = (unsigned long)BPF_CORE_READ(sop, show_devname);
	o.fn[4] = (unsigned long)BPF_CORE_READ(sop, evict_inode);
	o.fn[5] = (unsigned long)BPF_CORE_READ(sop, write_inode);
	o.fn[6] = (unsigned long)BPF_CORE_READ(sop, sync_fs);
	o.fn[7] = (unsigned long)BPF_CORE_READ(sop, put_super);
	save_ops(d, &o, index + 1);

	__builtin_memset(&o, 0, sizeof(o));
	o.table = (unsigned long)aops;
	o.kind = OPS_AOPS;
	o.btf_id = bpf_core_type_id_kernel(struct address_space_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(aops, read_folio);
	o.fn[1] = (unsigned long)BPF_CORE_READ(aops, writepages);
	o.fn[2] = (unsigned long)BPF_CORE_READ(aops, readahead);
	o.fn[3] = (unsigned long)BPF_CORE_READ(aops, write_begin);
	o.fn[4] = (unsigned long)BPF_CORE_READ(aops, write_end);
	o.fn[5] = (unsigned long)BPF_CORE_READ(aops, direct_IO);
	o.fn[6] = (unsigned long)BPF_CORE_READ(aops, dirty_folio);
	o.fn[7] = (unsigned long)BPF_CORE_READ(aops, bmap);
	save_ops(d, &o, index + 2);
}

static __always_inline void save_dentry_ops(struct event_data *d, struct dentry *dentry, u8 index)
{
	const struct dentry_operations *dop = BPF_CORE_READ(dentry, d_op);
	struct ops_ptrs o = {};

	o.table = (unsigned long)dop;
	o.kind = OPS_DENTRY;
	o.btf_id = bpf_core_type_id_kernel(struct dentry_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(dop, d_revalidate);
	o.fn[1] = (unsigned long)BPF_CORE_READ(dop, d_hash);
	o.fn[2] = (unsigned long)BPF_CORE_READ(dop, d_compare);
	o.fn[3] = (unsigned long)BPF_CORE_READ(dop, d_delete);
	o.fn[4] = (unsigned long)BPF_CORE_READ(dop, d_release);
	o.fn[5] = (unsigned long)BPF_CORE_READ(dop, d_iput);
	o.fn[6] = (unsigned long)BPF_CORE_READ(dop, d_dname);
	o.fn[7] = (unsigned long)BPF_CORE_READ(dop, d_real);
	save_ops(d, &o, index);
}

/* /proc/net/tcp and friends: a seq_file's iterator, the classic hiding spot */
static __always_inline void save_seq_ops(struct event_data *d, struct file *file, u8 index)
{
	struct seq_file *seq = BPF_CORE_READ(file, private_data);
	const struct seq_operations *sop = BPF_CORE_READ(seq, op);
	struct ops_ptrs o = {};

	if (!sop)
		return;
	o.table = (unsigned long)sop;
	o.kind = OPS_SEQ;
	o.btf_id = bpf_core_type_id_kernel(struct seq_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(sop, start);
	o.fn[1] = (unsigned long)BPF_CORE_READ(sop, next);
	o.fn[2] = (unsigned long)BPF_CORE_READ(sop, stop);
	o.fn[3] = (unsigned long)BPF_CORE_READ(sop, show);
	o.fn[4] = BPF_CORE_READ(seq, size);
	o.fn[5] = BPF_CORE_READ(seq, index);
	save_ops(d, &o, index);
}

static __always_inline void save_vm_ops(struct event_data *d, struct vm_area_struct *vma, u8 index)
{
	const struct vm_operations_struct *vop = BPF_CORE_READ(vma, vm_ops);
	struct ops_ptrs o = {};

	o.table = (unsigned long)vop;
	o.kind = OPS_VM;
	o.btf_id = bpf_core_type_id_kernel(struct vm_operations_struct);
	o.fn[0] = (unsigned long)BPF_CORE_READ(vop, open);
	o.fn[1] = (unsigned long)BPF_CORE_READ(vop, close);
	o.fn[2] = (unsigned long)BPF_CORE_READ(vop, fault);
	o.fn[3] = (unsigned long)BPF_CORE_READ(vop, page_mkwrite);
	o.fn[4] = (unsigned long)BPF_CORE_READ(vop, access);
	o.fn[5] = (unsigned long)BPF_CORE_READ(vop, name);
	o.fn[6] = (unsigned long)BPF_CORE_READ(vop, mprotect);
	o.fn[7] = (unsigned long)BPF_CORE_READ(vop, map_pages);
	save_ops(d, &o, index);
}

static __always_inline void save_netdev_ops(struct event_data *d, struct net_device *dev, u8 index)
{
	const struct net_device_ops *nops = BPF_CORE_READ(dev, netdev_ops);
	const struct ethtool_ops *eops = BPF_CORE_READ(dev, ethtool_ops);
	const struct header_ops *hops = BPF_CORE_READ(dev, header_ops);
	struct ops_ptrs o = {};

	o.table = (unsigned long)nops;
	o.kind = OPS_NETDEV;
	o.btf_id = bpf_core_type_id_kernel(struct net_device_ops);
	o.fn[0] = (unsigned long)BPF_CORE_READ(nops, ndo_open);
	o.fn[1] = (unsigned long)BPF_CORE_READ(nops, ndo_stop);
	o.fn[2] = (unsigned long)BPF_CORE_READ(nops, ndo_start_xmit);
	o.fn[3] = (unsigned long)BPF_CORE_READ(nops, ndo_select_queue);
	o.fn[4] = (unsigned long)BPF_CORE_READ(nops, ndo_set_mac_address);
	o.fn[5] = (unsigned long)BPF_CORE_READ(nops, ndo_eth_ioctl);
	o.fn[6] = (unsigned long)BPF_CORE_READ(nops, ndo_bpf);
	o.fn[7] = (unsigned long)BPF_CORE_READ(nops, ndo_xdp_xmit);
	save_ops(d, &o, index);

	__builtin_memset(&o, 0, sizeof(o));
	o.table = (unsigned long)eops;
	o.kind = OPS_ETHTOOL;
	o.btf_id = bpf_core_type_id_kernel(struct ethtool_ops);
	o.fn[0] = (unsigned long)BPF_CORE_READ(eops, get_drvinfo);
	o.fn[1] = (unsigned long)BPF_CORE_READ(eops, get_link);
	o.fn[2] = (unsigned long)BPF_CORE_READ(eops, get_ringparam);
	o.fn[3] = (unsigned long)BPF_CORE_READ(eops, get_channels);
	o.fn[4] = (unsigned long)BPF_CORE_READ(eops, get_ts_info);
	o.fn[5] = (unsigned long)BPF_CORE_READ(eops, get_link_ksettings);
	o.fn[6] = (unsigned long)BPF_CORE_READ(eops, get_strings);
	o.fn[7] = (unsigned long)BPF_CORE_READ(eops, get_sset_count);
	save_ops(d, &o, index + 1);

	__builtin_memset(&o, 0, sizeof(o));
	o.table = (unsigned long)hops;
	o.kind = OPS_HEADER;
	o.btf_id = bpf_core_type_id_kernel(struct header_ops);
	o.fn[0] = (unsigned long)BPF_CORE_READ(hops, create);
	o.fn[1] = (unsigned long)BPF_CORE_READ(hops, parse);
	o.fn[2] = (unsigned long)BPF_CORE_READ(hops, cache);
	o.fn[3] = (unsigned long)BPF_CORE_READ(hops, parse_protocol);
	save_ops(d, &o, index + 2);
}

static __always_inline void save_bpf_map_ops(struct event_data *d, struct bpf_map *map, u8 index)
{
	const struct bpf_map_ops *mops = BPF_CORE_READ(map, ops);
	struct ops_ptrs o = {};

	o.table = (unsigned long)mops;
	o.kind = OPS_BPF_MAP;
	o.btf_id = bpf_core_type_id_kernel(struct bpf_map_ops);
	o.fn[0] = (unsigned long)BPF_CORE_READ(mops, map_alloc);
	o.fn[1] = (unsigned long)BPF_CORE_READ(mops, map_lookup_elem);
	o.fn[2] = (unsigned long)BPF_CORE_READ(mops, map_update_elem);
	o.fn[3] = (unsigned long)BPF_CORE_READ(mops, map_delete_elem);
	o.fn[4] = (unsigned long)BPF_CORE_READ(mops, map_get_next_key);
	o.fn[5] = (unsigned long)BPF_CORE_READ(mops, map_gen_lookup);
	o.fn[6] = (unsigned long)BPF_CORE_READ(mops, map_mmap);
	if (bpf_core_field_exists(mops->map_mem_usage))
		o.fn[7] = (unsigned long)BPF_CORE_READ(mops, map_mem_usage);
	save_ops(d, &o, index);
}

static __always_inline void save_tty_ops(struct event_data *d, struct tty_struct *tty, u8 index)
{
	const struct tty_operations *top = BPF_CORE_READ(tty, ops);
	struct ops_ptrs o = {};

	o.table = (unsigned long)top;
	o.kind = OPS_TTY;
	o.btf_id = bpf_core_type_id_kernel(struct tty_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(top, open);
	o.fn[1] = (unsigned long)BPF_CORE_READ(top, close);
	o.fn[2] = (unsigned long)BPF_CORE_READ(top, write);
	o.fn[3] = (unsigned long)BPF_CORE_READ(top, ioctl);
	o.fn[4] = (unsigned long)BPF_CORE_READ(top, set_termios);
	o.fn[5] = (unsigned long)BPF_CORE_READ(top, write_room);
	o.fn[6] = (unsigned long)BPF_CORE_READ(top, hangup);
	o.fn[7] = (unsigned long)BPF_CORE_READ(top, resize);
	save_ops(d, &o, index);
}

static __always_inline void save_bdev_ops(struct event_data *d, struct super_block *sb, u8 index)
{
	struct gendisk *disk = BPF_CORE_READ(sb, s_bdev, bd_disk);
	const struct block_device_operations *bops = BPF_CORE_READ(disk, fops);
	struct ops_ptrs o = {};

	if (!disk)
		return;
	o.table = (unsigned long)bops;
	o.kind = OPS_BDEV;
	o.btf_id = bpf_core_type_id_kernel(struct block_device_operations);
	o.fn[0] = (unsigned long)BPF_CORE_READ(bops, submit_bio);
	o.fn[1] = (unsigned long)BPF_CORE_READ(bops, open);
	o.fn[2] = (unsigned long)BPF_CORE_READ(bops, release);
	o.fn[3] = (unsigned long)BPF_CORE_READ(bops, ioctl);
	o.fn[4] = (unsigned long)BPF_CORE_READ(bops, getgeo);
	o.fn[5] = (unsigned long)BPF_CORE_READ(bops, report_zones);
	o.fn[6] = (unsigned long)BPF_CORE_READ(bops, owner);
	save_ops(d, &o, index);
}

static __always_inline void save_sched_class(struct event_data *d, struct task_struct *task, u8 index)
{
	const struct sched_class *sc = BPF_CORE_READ(task, sched_class);
	struct ops_ptrs o = {};

	o.table = (unsigned long)sc;
	o.kind = OPS_SCHED;
	o.btf_id = bpf_core_type_id_kernel(struct sched_class);
	o.fn[0] = (unsigned long)BPF_CORE_READ(sc, enqueue_task);
	o.fn[1] = (unsigned long)BPF_CORE_READ(sc, dequeue_task);
	o.fn[2] = (unsigned long)BPF_CORE_READ(sc, pick_next_task);
	o.fn[3] = (unsigned long)BPF_CORE_READ(sc, put_prev_task);
	o.fn[4] = (unsigned long)BPF_CORE_READ(sc, select_task_rq);
	o.fn[5] = (unsigned long)BPF_CORE_READ(sc, task_tick);
	o.fn[6] = (unsigned long)BPF_CORE_READ(sc, task_fork);
	o.fn[7] = (unsigned long)BPF_CORE_READ(sc, update_curr);
	save_ops(d, &o, index);
}

static __always_inline void save_sock_ops(struct event_data *d, struct socket *sock, u8 index)
{
	const struct proto_ops *pops = BPF_CORE_READ(sock, ops);
	struct proto *prot = BPF_CORE_READ(sock, sk, __sk_common.skc_prot);
	struct ops_ptrs o = {};

	o.table = (unsigned long)pops;
	o.kind = OPS_PROTO_OPS;
	o.btf_id = bpf_core_type_id_kernel(struct proto_ops);
	o.fn[0] = (unsigned long)BPF_CORE_READ(pops, bind);
	o.fn[1] = (unsigned long)BPF_CORE_READ(pops, connect);
	o.fn[2] = (unsigned long)BPF_CORE_READ(pops, accept);
	o.fn[3] = (unsigned long)BPF_CORE_READ(pops, sendmsg);
	o.fn[4] = (unsigned long)BPF_CORE_READ(pops, recvmsg);
	o.fn[5] = (unsigned long)BPF_CORE_READ(pops, ioctl);
	o.fn[6] = (unsigned long)BPF_CORE_READ(pops, setsockopt);
	o.fn[7] = (unsigned long)BPF_CORE_READ(pops, owner);
	save_ops(d, &o, index);

	__builtin_memset(&o, 0, sizeof(o));
	o.table = (unsigned long)prot;
	o.kind = OPS_PROTO;
	o.btf_id = bpf_core_type_id_kernel(struct proto);
	o.fn[0] = (unsigned long)BPF_CORE_READ(prot, connect);
	o.fn[1] = (unsigned long)BPF_CORE_READ(prot, sendmsg);
	o.fn[2] = (unsigned long)BPF_CORE_READ(prot, recvmsg);
	o.fn[3] = (unsigned long)BPF_CORE_READ(prot, hash);
	o.fn[4] = (unsigned long)BPF_CORE_READ(prot, get_port);
	o.fn[5] = (unsigned long)BPF_CORE_READ(prot, close);
	o.fn[6] = BPF_CORE_READ(prot, obj_size);
	o.fn[7] = (unsigned long)BPF_CORE_READ(prot, owner);
	save_ops(d, &o, index + 1);
}

/* ---------------------------------------------------------------- */
/* syscall tracepoints                                                */
/* ---------------------------------------------------------------- */

SEC("tracepoint/raw_syscalls/sys_enter")
int tracepoint__raw_syscalls__sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = bpf_get_current_pid_tgid();
	struct task_info *ti;

	ti = bpf_map_lookup_elem(&task_info_map, &tid);
	if (!ti) {
		bpf_map_update_elem(&task_info_map, &tid, &empty_task_info, BPF_NOEXIST);
		ti = bpf_map_lookup_elem(&task_info_map, &tid);
		if (!ti)
			return 0;
	}
	ti->sys.id = ctx->id;
	ti->sys.ts = bpf_ktime_get_ns();
	ti->sys.entered = 1;
	ti->sys.args[0] = ctx->args[0];
	ti->sys.args[1] = ctx->args[1];
	ti->sys.args[2] = ctx->args[2];
	ti->sys.args[3] = ctx->args[3];
	ti->sys.args[4] = ctx->args[4];
	ti->sys.args[5] = ctx->args[5];
	if (ctx->id == NR_execve || ctx->id == NR_execveat)
		ti->context_valid = 0;
	bpf_tail_call(ctx, &sys_enter_tails, ctx->id & (MAX_SYSCALLS - 1));
	return 0;
}

/* decode the arguments that point at structs in user memory */
static __always_inline void decode_syscall_args(struct event_data *d, struct syscall_data *sys)
{
	struct scratch_area *s = get_scratch();
	void *uptr;

	if (!s)
		return;
	switch (sys->id) {
	case NR_openat2:
		save_str(d, (void *)sys->args[1], 0, true);
		uptr = (void *)sys->args[2];
		if (!bpf_probe_read_user(&s->k.how, sizeof(s->k.how), uptr)) {
			save_u64(d, s->k.how.flags, 1);
			save_u64(d, s->k.how.mode, 2);
			save_u64(d, s->k.how.resolve, 3);
		}
		break;
	case NR_clone3:
		uptr = (void *)sys->args[0];
		if (!bpf_probe_read_user(&s->k.cargs, sizeof(s->k.cargs), uptr)) {
			save_u64(d, s->k.cargs.flags, 0);
			save_u64(d, s->k.cargs.exit_signal, 1);
			save_u64(d, s->k.cargs.stack, 2);
			save_u64(d, s->k.cargs.cgroup, 3);
		}
		break;
	case NR_sched_setattr:
		uptr = (void *)sys->args[1];
		if (!bpf_probe_read_user(&s->k.sattr, sizeof(s->k.sattr), uptr)) {
			save_u32(d, s->k.sattr.sched_policy, 0);
			save_u64(d, s->k.sattr.sched_flags, 1);
			save_u32(d, s->k.sattr.sched_priority, 2);
			save_u64(d, s->k.sattr.sched_runtime, 3);
		}
		break;
	case NR_mount_setattr:
		uptr = (void *)sys->args[3];
		if (!bpf_probe_read_user(&s->k.mattr, sizeof(s->k.mattr), uptr)) {
			save_u64(d, s->k.mattr.attr_set, 0);
			save_u64(d, s->k.mattr.attr_clr, 1);
			save_u64(d, s->k.mattr.propagation, 2);
			save_u64(d, s->k.mattr.userns_fd, 3);
		}
		break;
	case NR_bpf:
		uptr = (void *)sys->args[1];
		save_u32(d, sys->args[0], 0);
		if (!bpf_probe_read_user(&s->k.attr, sizeof(s->k.attr), uptr)) {
			save_u32(d, s->k.attr.prog_type, 1);
			save_u32(d, s->k.attr.insn_cnt, 2);
			save_to_buf(d, s->k.attr.prog_name, sizeof(s->k.attr.prog_name), 3);
		}
		break;
	case NR_prctl:
		save_u32(d, sys->args[0], 0);
		if (sys->args[0] == 22 /* PR_SET_SECCOMP */ && sys->args[1] == 2) {
			uptr = (void *)sys->args[2];
			if (!bpf_probe_read_user(&s->k.fprog, sizeof(s->k.fprog), uptr)) {
				save_u32(d, s->k.fprog.len, 1);
				if (!bpf_probe_read_user(&s->k.filt, sizeof(s->k.filt), s->k.fprog.filter))
					save_to_buf(d, s->k.filt, sizeof(s->k.filt), 2);
			}
		}
		break;
	case NR_memfd_create:
		save_str(d, (void *)sys->args[0], 0, true);
		save_u32(d, sys->args[1], 1);
		break;
	case NR_perf_event_open:
		uptr = (void *)sys->args[0];
		if (!bpf_probe_read_user(&s->k.pattr, sizeof(s->k.pattr), uptr)) {
			save_u32(d, s->k.pattr.type, 0);
			save_u64(d, s->k.pattr.config, 1);
			save_u64(d, s->k.pattr.sample_type, 2);
			save_u64(d, s->k.pattr.bp_addr, 3);
		}
		save_u32(d, sys->args[1], 4);
		break;
	case NR_io_uring_setup:
		uptr = (void *)sys->args[1];
		if (!bpf_probe_read_user(&s->k.uparams, sizeof(s->k.uparams), uptr)) {
			save_u32(d, s->k.uparams.sq_entries, 0);
			save_u32(d, s->k.uparams.flags, 1);
			save_u32(d, s->k.uparams.sq_thread_cpu, 2);
			save_u32(d, s->k.uparams.features, 3);
		}
		break;
	case NR_capset:
		if (!bpf_probe_read_user(&s->k.cap_hdr, sizeof(s->k.cap_hdr), (void *)sys->args[0])) {
			save_u32(d, s->k.cap_hdr.version, 0);
			save_u32(d, s->k.cap_hdr.pid, 1);
		}
		if (!bpf_probe_read_user(&s->k.cap_data, sizeof(s->k.cap_data), (void *)sys->args[1]))
			save_to_buf(d, &s->k.cap_data, sizeof(s->k.cap_data), 2);
		break;
	case NR_seccomp:
		save_u32(d, sys->args[0], 0);
		save_u32(d, sys->args[1], 1);
		if (sys->args[0] == 1 /* SECCOMP_SET_MODE_FILTER */ &&
		    !bpf_probe_read_user(&s->k.fprog, sizeof(s->k.fprog), (void *)sys->args[2]))
			save_u32(d, s->k.fprog.len, 2);
		break;
	case NR_setsockopt:
		save_u32(d, sys->args[1], 0);
		save_u32(d, sys->args[2], 1);
		/* SO_ATTACH_FILTER / SO_ATTACH_BPF on a socket */
		if (sys->args[1] == 1 && (sys->args[2] == 26 || sys->args[2] == 50) &&
		    !bpf_probe_read_user(&s->k.fprog, sizeof(s->k.fprog), (void *)sys->args[3]))
			save_u32(d, s->k.fprog.len, 2);
		break;
	case NR_landlock_create_ruleset:
		if (!bpf_probe_read_user(&s->k.ll_attr, sizeof(s->k.ll_attr), (void *)sys->args[0])) {
			save_u64(d, s->k.ll_attr.handled_access_fs, 0);
			save_u64(d, s->k.ll_attr.handled_access_net, 1);
		}
		break;
	case NR_prlimit64:
		save_u32(d, sys->args[0], 0);
		save_u32(d, sys->args[1], 1);
		if (!bpf_probe_read_user(&s->k.rlim64, sizeof(s->k.rlim64), (void *)sys->args[2]))
			save_u64(d, s->k.rlim64.rlim_cur, 2);
		break;
	case NR_mq_open:
		save_str(d, (void *)sys->args[0], 0, true);
		if (sys->args[3] &&
		    !bpf_probe_read_user(&s->k.mqattr, sizeof(s->k.mqattr), (void *)sys->args[3]))
			save_u64(d, s->k.mqattr.mq_maxmsg, 1);
		break;
	case NR_sendmsg:
		if (!bpf_probe_read_user(&s->k.umsg, sizeof(s->k.umsg), (void *)sys->args[1])) {
			save_u32(d, s->k.umsg.msg_namelen, 0);
			save_u64(d, s->k.umsg.msg_iovlen, 1);
			save_u64(d, s->k.umsg.msg_controllen, 2);
		}
		break;
	case NR_open_by_handle_at:
		if (!bpf_probe_read_user(&s->k.fh, sizeof(s->k.fh), (void *)sys->args[1])) {
			save_u32(d, s->k.fh.handle_bytes, 0);
			save_u32(d, s->k.fh.handle_type, 1);
		}
		break;
	case NR_settimeofday:
		if (sys->args[0] &&
		    !bpf_probe_read_user(&s->k.tv, sizeof(s->k.tv), (void *)sys->args[0]))
			save_u64(d, s->k.tv.tv_sec, 0);
		if (sys->args[1] &&
		    !bpf_probe_read_user(&s->k.tz, sizeof(s->k.tz), (void *)sys->args[1]))
			save_u32(d, s->k.tz.tz_minuteswest, 1);
		break;
	case NR_pidfd_send_signal:
		save_u32(d, sys->args[1], 0);
		if (sys->args[2] &&
		    !bpf_probe_read_user(&s->k.si, sizeof(s->k.si), (void *)sys->args[2]))
			save_u32(d, s->k.si.si_code, 1);
		break;
	case NR_setns:
	case NR_unshare:
	case NR_kill:
	case NR_ptrace:
		save_u64(d, sys->args[0], 0);
		save_u64(d, sys->args[1], 1);
		break;
	default:
		save_u64(d, sys->args[0], 0);
		break;
	}
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tracepoint__raw_syscalls__sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	u32 tid = bpf_get_current_pid_tgid();
	struct task_info *ti;
	struct event_data *d;
	u32 id = ctx->id;
	bool submit = false;
	int i;

	ti = bpf_map_lookup_elem(&task_info_map, &tid);
	if (!ti || !ti->sys.entered)
		return 0;
	ti->sys.entered = 0;
	ti->sys.ret = ctx->ret;
	for (i = 0; i < 16; i++) {
		if (syscalls_to_submit[i] && syscalls_to_submit[i] == id) {
			submit = true;
			break;
		}
	}
	if (!submit)
		return 0;
	d = init_event(EV_SYS_EXIT);
	if (!d)
		return 0;
	d->context.syscall = id;
	d->context.retval = ctx->ret;
	decode_syscall_args(d, &ti->sys);
	submit_event(ctx, d);
	return 0;
}

/* a sys_enter tail for execve(2): the file name, argv and envp from user memory */
SEC("tracepoint/raw_syscalls/sys_enter")
int syscall__execve(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = bpf_get_current_pid_tgid();
	struct task_info *ti = bpf_map_lookup_elem(&task_info_map, &tid);
	struct event_data *d;

	if (!ti)
		return 0;
	d = init_event(EV_EXECVE);
	if (!d)
		return 0;
	d->context.syscall = ti->sys.id;
	save_str(d, (void *)ti->sys.args[0], 0, true);
	save_str_arr(d, (const char *const *)ti->sys.args[1], 1);
	save_str_arr(d, (const char *const *)ti->sys.args[2], 2);
	submit_event(ctx, d);
	return 0;
}

/* ---------------------------------------------------------------- */
/* process life cycle (raw tracepoints)                              */
/* ---------------------------------------------------------------- */

SEC("raw_tp/sched_process_fork")
int tracepoint__sched__sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	struct task_struct *leader = BPF_CORE_READ(child, group_leader);
	u32 child_tid = BPF_CORE_READ(child, pid);
	struct task_info *pti;
	struct event_data *d;
	u32 ptid = BPF_CORE_READ(parent, pid);

	pti = bpf_map_lookup_elem(&task_info_map, &ptid);
	if (pti && pti->follow) {
		u64 policies = pti->matched_policies;
		struct task_info *cti;

		bpf_map_update_elem(&task_info_map, &child_tid, &empty_task_info, BPF_ANY);
		cti = bpf_map_lookup_elem(&task_info_map, &child_tid);
		if (cti) {
			cti->follow = 1;
			cti->matched_policies = policies;
		}
	}
	d = init_event(EV_SCHED_FORK);
	if (!d)
		return 0;
	save_u32(d, BPF_CORE_READ(parent, pid), 0);
	save_u32(d, get_task_ns_pid(parent), 1);
	save_u32(d, child_tid, 2);
	save_u32(d, BPF_CORE_READ(child, tgid), 3);
	save_u32(d, get_task_ns_pid(child), 4);
	save_u64(d, get_task_start_time(child), 5);
	save_u64(d, get_task_start_time(leader), 6);
	save_u64(d, BPF_CORE_READ(child, flags), 7);
	save_u32(d, BPF_CORE_READ(child, exit_signal), 8);
	if (bpf_core_type_exists(struct io_uring_task) && BPF_CORE_READ(child, io_uring))
		save_u32(d, BPF_CORE_READ(child, io_uring, cached_refs), 9);
	save_task_extra(d, child, 10);
	add_btf_id(d, bpf_core_type_id_kernel(struct task_struct));
	submit_event(ctx, d);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)ctx->args[0];
	struct linux_binprm *bprm = (void *)ctx->args[2];
	u32 pid = BPF_CORE_READ(task, tgid), tid = BPF_CORE_READ(task, pid);
	struct file *file = BPF_CORE_READ(bprm, file);
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	struct proc_info *pi;
	struct event_data *d;
	unsigned long arg_start, arg_end;

	invalidate_context(tid);
	pi = bpf_map_lookup_elem(&proc_info_map, &pid);
	if (!pi) {
		bpf_map_update_elem(&proc_info_map, &pid, &empty_proc_info, BPF_NOEXIST);
		pi = bpf_map_lookup_elem(&proc_info_map, &pid);
		if (!pi)
			return 0;
	}
	pi->exec_time = get_task_start_time(task);
	pi->new_proc = 1;
	pi->binary_inode = BPF_CORE_READ(file, f_inode, i_ino);
	pi->binary_dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	pi->argc = BPF_CORE_READ(bprm, argc);
	pi->envc = BPF_CORE_READ(bprm, envc);
	pi->secureexec = BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec);
	bpf_probe_read_kernel_str(pi->binary, sizeof(pi->binary), BPF_CORE_READ(bprm, filename));

	d = init_event(EV_SCHED_EXEC);
	if (!d)
		return 0;
	save_str(d, BPF_CORE_READ(bprm, filename), 0, false);
	save_path(d, &file->f_path, 1);
	save_file_info(d, file, 2);
	save_str(d, BPF_CORE_READ(bprm, interp), 4, false);
	if (bpf_core_field_exists(bprm->fdpath))
		save_str(d, BPF_CORE_READ(bprm, fdpath), 5, false);
	save_u32(d, pi->argc, 6);
	save_u32(d, pi->envc, 7);
	save_u32(d, BPF_CORE_READ(bprm, per_clear), 8);
	save_u32(d, BPF_CORE_READ(bprm, unsafe), 9);
	arg_start = BPF_CORE_READ(mm, arg_start);
	arg_end = BPF_CORE_READ(mm, arg_end);
	if (arg_end > arg_start) {
		u32 len = arg_end - arg_start;

		if (len > MAX_ELEM_SIZE)
			len = MAX_ELEM_SIZE;
		save_u32(d, len, 10);
	}
	if (bpf_core_field_exists(bprm->interpreter) && BPF_CORE_READ(bprm, interpreter))
		save_u64(d, BPF_CORE_READ(bprm, interpreter, f_inode, i_ino), 11);
	save_u64(d, BPF_CORE_READ(bprm, rlim_stack.rlim_cur), 12);
	save_to_buf(d, &bprm->buf, 128, 13);
	save_mm_info(d, mm, 14);
	save_stdio_sockets(d, task, 50);
	save_inode_kind(d, BPF_CORE_READ(file, f_inode), 21);
	save_tty_info(d, BPF_CORE_READ(task, signal, tty), 40);
	if (BPF_CORE_READ(task, signal, tty))
		save_tty_ops(d, BPF_CORE_READ(task, signal, tty), 49);
	add_btf_id(d, bpf_core_type_id_kernel(struct linux_binprm));
	d->context.stack_id = bpf_get_stackid(ctx, &stack_addresses, BPF_F_USER_STACK);
	submit_event(ctx, d);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int tracepoint__sched__sched_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	u32 pid = BPF_CORE_READ(task, tgid), tid = BPF_CORE_READ(task, pid);
	long exit_code = BPF_CORE_READ(task, exit_code);
	bool group_dead = BPF_CORE_READ(sig, live.counter) == 0;
	struct event_data *d;

	d = init_event(EV_SCHED_EXIT);
	if (d) {
		save_u64(d, exit_code, 0);
		save_u32(d, group_dead, 1);
		save_u64(d, BPF_CORE_READ(sig, utime), 2);
		save_u64(d, BPF_CORE_READ(sig, stime), 3);
		save_u64(d, BPF_CORE_READ(sig, maxrss), 4);
		save_u64(d, BPF_CORE_READ(sig, ioac.read_bytes), 5);
		save_u64(d, BPF_CORE_READ(sig, ioac.write_bytes), 6);
		save_u64(d, BPF_CORE_READ(task, min_flt), 7);
		save_u64(d, BPF_CORE_READ(task, maj_flt), 8);
		submit_event(ctx, d);
	}
	bpf_map_delete_elem(&task_info_map, &tid);
	if (group_dead) {
		bpf_map_delete_elem(&proc_info_map, &pid);
		bpf_map_delete_elem(&pid_filter, &pid);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* scheduler, signals, cgroups, network (BTF tracepoints)            */
/* ---------------------------------------------------------------- */

SEC("tp_btf/sched_switch")
int BPF_PROG(tracepoint__sched__sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct event_data *d;
	struct task_group *tg;

	if (!containers_only && !debug_mode)
		return 0;
	d = init_event(EV_SCHED_SWITCH);
	if (!d)
		return 0;
	save_u32(d, preempt, 0);
	save_u32(d, BPF_CORE_READ(prev, pid), 1);
	save_u32(d, prev_state, 2);
	save_u32(d, BPF_CORE_READ(next, pid), 3);
	save_str(d, &next->comm, 4, false);
	save_u64(d, BPF_CORE_READ(next, se.sum_exec_runtime), 5);
	save_u64(d, BPF_CORE_READ(next, sched_info.run_delay), 6);
	save_u32(d, BPF_CORE_READ(next, on_cpu), 7);
	save_u32(d, BPF_CORE_READ(next, wake_cpu), 8);
	save_u32(d, BPF_CORE_READ(next, nr_cpus_allowed), 9);
	save_sched_class(d, next, 11);
	{
		struct cfs_rq *cfs = BPF_CORE_READ(next, se.cfs_rq);
		struct rq *rq = BPF_CORE_READ(cfs, rq);

		if (bpf_core_field_exists(cfs->h_nr_queued))
			save_u32(d, BPF_CORE_READ(cfs, h_nr_queued), 12);
		else
			save_u32(d, BPF_CORE_READ((struct cfs_rq___pre614 *)cfs, h_nr_running), 12);
		save_u32(d, BPF_CORE_READ(rq, nr_running), 13);
		save_u32(d, BPF_CORE_READ(rq, cpu), 14);
		save_u64(d, BPF_CORE_READ(rq, nr_switches), 15);
		save_u32(d, BPF_CORE_READ(rq, nr_iowait.counter), 16);
	}
	tg = BPF_CORE_READ(next, sched_task_group);
	if (tg && bpf_core_type_exists(struct task_group))
		save_u64(d, get_cgroup_id(BPF_CORE_READ(tg, css.cgroup)), 10);
	submit_event(ctx, d);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(tracepoint__signal__signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct scratch_area *s;
	struct sighand_struct *sighand;
	struct event_data *d;

	d = init_event(EV_SIGNAL);
	if (!d)
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	save_u32(d, sig, 0);
	save_u32(d, BPF_CORE_READ(task, pid), 1);
	save_u32(d, group, 2);
	save_u32(d, result, 3);
	if ((unsigned long)info > 2) {
		bpf_probe_read_kernel(&s->k.si, sizeof(s->k.si), info);
		save_u32(d, s->k.si.si_code, 4);
		save_u32(d, s->k.si.si_errno, 5);
		save_u32(d, BPF_CORE_READ(info, _sifields._kill._pid), 6);
		save_u32(d, BPF_CORE_READ(info, _sifields._kill._uid), 7);
		save_u64(d, (unsigned long)BPF_CORE_READ(info, _sifields._sigfault._addr), 8);
	}
	sighand = BPF_CORE_READ(task, sighand);
	if (sighand && sig > 0 && sig <= 64) {
		bpf_probe_read_kernel(&s->k.act, sizeof(s->k.act), &sighand->action[(sig - 1) & 63].sa);
		save_u64(d, (unsigned long)s->k.act.sa_handler, 9);
		save_u64(d, s->k.act.sa_flags, 10);
	}
	add_btf_id(d, bpf_core_type_id_kernel(struct kernel_siginfo));
	submit_event(ctx, d);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(tracepoint__cgroup__cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	u64 id = get_cgroup_id(cgrp);
	struct cgroup_root *root = BPF_CORE_READ(cgrp, root);
	struct kernfs_node *kn = BPF_CORE_READ(cgrp, kn);
	struct kernfs_node *parent = get_kernfs_parent(kn);
	struct event_data *d;
	u8 state = 1;

	if (BPF_CORE_READ(cgrp, level) >= 2)
		bpf_map_update_elem(&containers_map, &id, &state, BPF_ANY);
	d = init_event(EV_CGROUP_MKDIR);
	if (!d)
		return 0;
	save_u64(d, id, 0);
	save_str(d, path, 1, false);
	save_u32(d, BPF_CORE_READ(root, hierarchy_id), 2);
	save_u32(d, BPF_CORE_READ(root, subsys_mask), 3);
	save_u32(d, BPF_CORE_READ(cgrp, level), 4);
	save_u64(d, BPF_CORE_READ(cgrp, self.serial_nr), 5);
	save_str(d, BPF_CORE_READ(kn, name), 6, false);
	if (parent)
		save_u64(d, get_kernfs_id(parent), 7);
	save_u32(d, BPF_CORE_READ(cgrp, nr_descendants), 8);
	save_cgroup_controllers(d, cgrp, 9);
	add_btf_id(d, bpf_core_type_id_kernel(struct cgroup));
	submit_event(ctx, d);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(tracepoint__cgroup__cgroup_attach_task, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	u32 tid = BPF_CORE_READ(task, pid);
	struct event_data *d;

	invalidate_context(tid);
	d = init_event(EV_CGROUP_ATTACH);
	if (!d)
		return 0;
	save_u64(d, get_cgroup_id(dst), 0);
	save_str(d, path, 1, false);
	save_u32(d, tid, 2);
	save_str(d, &task->comm, 3, false);
	save_u32(d, threadgroup, 4);
	save_u32(d, BPF_CORE_READ(dst, root, hierarchy_id), 5);
	submit_event(ctx, d);
	return 0;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(tracepoint__net__net_dev_queue, struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk = BPF_CORE_READ(skb, sk);
	struct net_task_context *nctx;
	struct scratch_area *s;
	struct event_data *d;
	unsigned char *head;
	u16 nh, th, proto;
	u64 ino;
	u8 l4 = 0;

	if (!sk)
		return 0;
	ino = get_sock_inode(sk);
	nctx = bpf_map_lookup_elem(&sock_inode_map, &ino);
	if (!nctx)
		return 0;
	d = init_event(EV_NET_PACKET);
	if (!d)
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	__builtin_memcpy(&d->context.task, &nctx->task, sizeof(nctx->task));
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	save_u32(d, BPF_CORE_READ(skb, len), 0);
	save_u32(d, BPF_CORE_READ(skb, data_len), 1);
	save_u32(d, BPF_CORE_READ(skb, mark), 2);
	save_u32(d, BPF_CORE_READ(skb, hash), 3);
	save_u32(d, BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type), 4);
	save_u32(d, BPF_CORE_READ(skb, skb_iif), 5);
	if (dev) {
		save_str(d, &dev->name, 6, false);
		save_u32(d, BPF_CORE_READ(dev, ifindex), 7);
		save_u32(d, BPF_CORE_READ(dev, mtu), 8);
		save_u32(d, BPF_CORE_READ(dev, flags), 9);
		save_u32(d, BPF_CORE_READ(dev, nd_net.net, ns.inum), 10);
		if (bpf_core_field_exists(dev->gso_max_size))
			save_u32(d, BPF_CORE_READ(dev, gso_max_size), 11);
		else
			save_u32(d, BPF_CORE_READ((struct net_device___pre67 *)dev, gso_max_size), 11);
	}
	if (proto == RT_ETH_P_IP) {
		bpf_probe_read_kernel(&s->k.ip, sizeof(s->k.ip), head + nh);
		save_to_buf(d, &s->k.ip, sizeof(s->k.ip), 12);
		l4 = s->k.ip.protocol;
	} else if (proto == RT_ETH_P_IPV6) {
		bpf_probe_read_kernel(&s->k.ip6, sizeof(s->k.ip6), head + nh);
		save_to_buf(d, &s->k.ip6, sizeof(s->k.ip6), 12);
		l4 = s->k.ip6.nexthdr;
	}
	if (l4 == IPPROTO_TCP) {
		bpf_probe_read_kernel(&s->k.tcp, sizeof(s->k.tcp), head + th);
		save_to_buf(d, &s->k.tcp, sizeof(s->k.tcp), 13);
	} else if (l4 == IPPROTO_UDP) {
		bpf_probe_read_kernel(&s->k.udp, sizeof(s->k.udp), head + th);
		save_to_buf(d, &s->k.udp, sizeof(s->k.udp), 13);
	} else if (l4 == IPPROTO_ICMP) {
		bpf_probe_read_kernel(&s->k.icmp, sizeof(s->k.icmp), head + th);
		save_to_buf(d, &s->k.icmp, sizeof(s->k.icmp), 13);
	} else if (l4 == RT_IPPROTO_ICMPV6) {
		bpf_probe_read_kernel(&s->k.icmp6, sizeof(s->k.icmp6), head + th);
		save_to_buf(d, &s->k.icmp6, sizeof(s->k.icmp6), 13);
	}
	save_skb_extra(d, skb, 14);
	if (dev)
		save_netdev_ops(d, dev, 40);
	add_btf_id(d, bpf_core_type_id_kernel(struct sk_buff));
	add_btf_id(d, bpf_core_type_id_kernel(struct net_device));
	submit_event(ctx, d);
	return 0;
}

/* ---------------------------------------------------------------- */
/* LSM hooks and kernel functions (kprobes)                           */
/* ---------------------------------------------------------------- */

SEC("kprobe/security_bprm_check")
int BPF_KPROBE(trace_security_bprm_check, struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	const struct cred *cred = BPF_CORE_READ(bprm, cred);
	struct mm_struct *mm = BPF_CORE_READ(bprm, mm);
	struct vm_area_struct *vma = BPF_CORE_READ(bprm, vma);
	struct event_data *d;

	d = init_event(EV_BPRM_CHECK);
	if (!d)
		return 0;
	save_path(d, &file->f_path, 0);
	save_file_info(d, file, 1);
	save_u32(d, BPF_CORE_READ(cred, euid.val), 3);
	save_u64(d, read_cap(cred, 0), 4);
	save_u64(d, BPF_CORE_READ(bprm, p), 5);
	if (vma) {
		save_u64(d, BPF_CORE_READ(vma, vm_start), 6);
		save_u64(d, BPF_CORE_READ(vma, vm_end), 7);
	}
	save_u64(d, BPF_CORE_READ(mm, task_size), 8);
	save_u64(d, BPF_CORE_READ(mm, stack_vm), 9);
	save_u32(d, BPF_CORE_READ_BITFIELD_PROBED(bprm, point_of_no_return), 10);
	add_btf_id(d, bpf_core_type_id_kernel(struct linux_binprm));
	d->context.stack_id = bpf_get_stackid(ctx, &stack_addresses, 0);
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_file_open")
int BPF_KPROBE(trace_security_file_open, struct file *file)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct event_data *d;
	u32 flags = BPF_CORE_READ(file, f_flags);

	d = init_event(EV_FILE_OPEN);
	if (!d)
		return 0;
	save_path(d, &file->f_path, 0);
	save_u32(d, flags, 1);
	save_file_info(d, file, 2);
	save_u32(d, BPF_CORE_READ(dentry, d_flags), 4);
	save_u64(d, BPF_CORE_READ(fs, pwd.dentry, d_inode, i_ino), 5);
	save_u32(d, BPF_CORE_READ(fs, umask), 6);
	save_u32(d, BPF_CORE_READ(task, files, fdt, max_fds), 7);
	save_u64(d, BPF_CORE_READ(file, f_cred, fsuid.val), 8);
	if (bpf_core_type_exists(struct pipe_inode_info) && BPF_CORE_READ(file, f_inode, i_pipe))
		save_u32(d, BPF_CORE_READ(file, f_inode, i_pipe, max_usage), 9);
	save_inode_kind(d, BPF_CORE_READ(file, f_inode), 10);
	save_file_ops(d, file, 30);
	save_inode_ops(d, BPF_CORE_READ(file, f_inode), 31);
	save_dentry_ops(d, dentry, 34);
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) == RT_PROC_SUPER_MAGIC)
		save_seq_ops(d, file, 35);
	else
		save_bdev_ops(d, BPF_CORE_READ(file, f_inode, i_sb), 35);
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_socket_connect")
int BPF_KPROBE(trace_security_socket_connect, struct socket *sock, struct sockaddr *address,
	       int addrlen)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct scratch_area *s;
	struct sock_tuple *t;
	struct event_data *d;

	d = init_event(EV_SOCKET_CONNECT);
	if (!d)
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	t = &s->tuple;
	__builtin_memset(t, 0, sizeof(*t));
	read_sock_tuple(sk, t);
	save_u32(d, BPF_CORE_READ(sock, type), 0);
	save_u32(d, BPF_CORE_READ(sock, state), 1);
	save_u32(d, BPF_CORE_READ(sock, ops, family), 2);
	save_sockaddr(d, address, addrlen, 3);
	save_to_buf(d, t, sizeof(*t), 4);
	if (t->family == 1 /* AF_UNIX */)
		save_unix_sock(d, sk, 5);
	save_sock_extra(d, sk, t->family, 8);
	save_sock_ops(d, sock, 21);
	remember_sock(d, sk, t->family);
	add_btf_id(d, bpf_core_type_id_kernel(struct socket));
	add_btf_id(d, bpf_core_type_id_kernel(struct sock));
	if (bpf_core_type_exists(struct tcp_sock))
		add_btf_id(d, bpf_core_type_id_kernel(struct tcp_sock));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_bpf")
int BPF_KPROBE(trace_security_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	struct event_data *d;

	d = init_event(EV_BPF);
	if (!d)
		return 0;
	save_u32(d, cmd, 0);
	save_u32(d, size, 1);
	switch (cmd) {
	case BPF_MAP_CREATE:
		save_u32(d, BPF_CORE_READ(attr, map_type), 2);
		save_u32(d, BPF_CORE_READ(attr, key_size), 3);
		save_u32(d, BPF_CORE_READ(attr, value_size), 4);
		save_u32(d, BPF_CORE_READ(attr, max_entries), 5);
		save_u32(d, BPF_CORE_READ(attr, map_flags), 6);
		save_to_buf(d, &attr->map_name, sizeof(attr->map_name), 7);
		break;
	case BPF_PROG_LOAD:
		save_u32(d, BPF_CORE_READ(attr, prog_type), 2);
		save_u32(d, BPF_CORE_READ(attr, insn_cnt), 3);
		save_u32(d, BPF_CORE_READ(attr, expected_attach_type), 4);
		save_u32(d, BPF_CORE_READ(attr, prog_flags), 5);
		save_u32(d, BPF_CORE_READ(attr, attach_btf_id), 6);
		save_to_buf(d, &attr->prog_name, sizeof(attr->prog_name), 7);
		break;
	case BPF_LINK_CREATE:
		save_u32(d, BPF_CORE_READ(attr, link_create.prog_fd), 2);
		save_u32(d, BPF_CORE_READ(attr, link_create.attach_type), 3);
		save_u32(d, BPF_CORE_READ(attr, link_create.flags), 4);
		break;
	case BPF_RAW_TRACEPOINT_OPEN:
		save_str(d, (void *)BPF_CORE_READ(attr, raw_tracepoint.name), 2, true);
		break;
	default:
		break;
	}
	if (bpf_core_enum_value_exists(enum bpf_cmd, BPF_TOKEN_CREATE) &&
	    cmd == bpf_core_enum_value(enum bpf_cmd, BPF_TOKEN_CREATE))
		d->context.flags |= 1;
	add_btf_id(d, bpf_core_type_id_kernel(union bpf_attr));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_bpf_map")
int BPF_KPROBE(trace_security_bpf_map, struct bpf_map *map, fmode_t fmode)
{
	struct event_data *d;

	d = init_event(EV_BPF_MAP);
	if (!d)
		return 0;
	save_u32(d, BPF_CORE_READ(map, id), 0);
	save_to_buf(d, &map->name, sizeof(map->name), 1);
	save_u32(d, BPF_CORE_READ(map, map_type), 2);
	save_u32(d, BPF_CORE_READ(map, key_size), 3);
	save_u32(d, BPF_CORE_READ(map, value_size), 4);
	save_u32(d, BPF_CORE_READ(map, max_entries), 5);
	save_u32(d, BPF_CORE_READ(map, map_flags), 6);
	save_u32(d, BPF_CORE_READ(map, btf_value_type_id), 7);
	save_u32(d, fmode, 8);
	if (BPF_CORE_READ(map, inner_map_meta))
		save_u32(d, BPF_CORE_READ(map, inner_map_meta, map_type), 9);
	if (bpf_core_field_exists(map->frozen))
		save_u32(d, BPF_CORE_READ(map, frozen), 10);
	save_bpf_map_extra(d, map, 11);
	save_bpf_map_ops(d, map, 16);
	add_btf_id(d, bpf_core_type_id_kernel(struct bpf_map));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_bpf_prog")
int BPF_KPROBE(trace_security_bpf_prog, struct bpf_prog *prog)
{
	struct bpf_prog_aux *aux = BPF_CORE_READ(prog, aux);
	struct event_data *d;
	u32 nr_maps, i;

	d = init_event(EV_BPF_PROG);
	if (!d)
		return 0;
	save_u32(d, BPF_CORE_READ(aux, id), 0);
	save_to_buf(d, &aux->name, sizeof(aux->name), 1);
	save_u32(d, BPF_CORE_READ(prog, type), 2);
	save_u32(d, BPF_CORE_READ(prog, expected_attach_type), 3);
	save_u32(d, BPF_CORE_READ(prog, len), 4);
	save_u32(d, BPF_CORE_READ(prog, jited_len), 5);
	save_to_buf(d, &prog->tag, sizeof(prog->tag), 6);
	save_u32(d, BPF_CORE_READ_BITFIELD_PROBED(prog, gpl_compatible), 7);
	save_str(d, BPF_CORE_READ(aux, attach_func_name), 8, false);
	save_u64(d, BPF_CORE_READ(aux, load_time), 9);
	if (bpf_core_field_exists(aux->verified_insns))
		save_u32(d, BPF_CORE_READ(aux, verified_insns), 10);
	nr_maps = BPF_CORE_READ(aux, used_map_cnt);
	save_u32(d, nr_maps, 11);
	for (i = 0; i < 4 && i < nr_maps; i++) {
		struct bpf_map **maps = BPF_CORE_READ(aux, used_maps);
		struct bpf_map *m = NULL;

		bpf_probe_read_kernel(&m, sizeof(m), &maps[i]);
		save_u32(d, BPF_CORE_READ(m, id), 12 + i);
	}
	if (BPF_CORE_READ(aux, dst_prog))
		save_u32(d, BPF_CORE_READ(aux, dst_prog, aux, id), 16);
	save_bpf_prog_extra(d, prog, 17);
	add_btf_id(d, bpf_core_type_id_kernel(struct bpf_prog));
	add_btf_id(d, bpf_core_type_id_kernel(struct bpf_prog_aux));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_file_mprotect")
int BPF_KPROBE(trace_security_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	       unsigned long prot)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);
	struct mm_struct *mm = BPF_CORE_READ(vma, vm_mm);
	struct event_data *d;
	u64 vm_flags;

	d = init_event(EV_FILE_MPROTECT);
	if (!d)
		return 0;
	if (bpf_core_field_exists(vma->__vm_flags))
		vm_flags = BPF_CORE_READ(vma, __vm_flags);
	else
		vm_flags = BPF_CORE_READ((struct vm_area_struct___pre63 *)vma, vm_flags);
	save_u64(d, BPF_CORE_READ(vma, vm_start), 0);
	save_u64(d, BPF_CORE_READ(vma, vm_end), 1);
	save_u64(d, vm_flags, 2);
	save_u64(d, reqprot, 3);
	save_u64(d, prot, 4);
	save_u64(d, BPF_CORE_READ(vma, vm_pgoff), 5);
	save_u64(d, BPF_CORE_READ(vma, vm_page_prot.pgprot), 6);
	save_u32(d, BPF_CORE_READ(vma, anon_vma) != NULL, 7);
	if (file)
		save_path(d, &file->f_path, 8);
	save_u64(d, BPF_CORE_READ(mm, start_code), 9);
	save_u64(d, BPF_CORE_READ(mm, end_code), 10);
	save_u64(d, BPF_CORE_READ(mm, start_brk), 11);
	save_u64(d, BPF_CORE_READ(mm, brk), 12);
	save_u64(d, BPF_CORE_READ(mm, start_stack), 13);
	save_u64(d, BPF_CORE_READ(mm, total_vm), 14);
	save_u32(d, BPF_CORE_READ(mm, map_count), 15);
	if (bpf_core_field_exists(((struct mm_struct___pre6 *)mm)->mmap))
		save_u64(d, (unsigned long)BPF_CORE_READ((struct mm_struct___pre6 *)mm, mmap), 16);
	save_vm_ops(d, vma, 17);
	if (file)
		save_file_ops(d, file, 18);
	add_btf_id(d, bpf_core_type_id_kernel(struct vm_area_struct));
	d->context.stack_id = bpf_get_stackid(ctx, &stack_addresses, BPF_F_USER_STACK);
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_ptrace_access_check")
int BPF_KPROBE(trace_security_ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	struct event_data *d;

	d = init_event(EV_PTRACE);
	if (!d)
		return 0;
	save_u32(d, mode, 0);
	save_u32(d, BPF_CORE_READ(child, pid), 1);
	save_u32(d, get_task_ns_pid(child), 2);
	save_str(d, &child->comm, 3, false);
	save_u32(d, BPF_CORE_READ(child, ptrace), 4);
	save_u32(d, BPF_CORE_READ(child, real_cred, uid.val), 5);
	save_u64(d, read_cap(BPF_CORE_READ(child, real_cred), 0), 6);
	if (BPF_CORE_READ(child, ptracer_cred))
		save_u32(d, BPF_CORE_READ(child, ptracer_cred, uid.val), 7);
	save_u64(d, BPF_CORE_READ(child, ptrace_message), 8);
	save_ptrace_bps(d, child, 9);
	add_btf_id(d, bpf_core_type_id_kernel(struct task_struct));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/commit_creds")
int BPF_KPROBE(trace_commit_creds, struct cred *new)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	const struct cred *old = BPF_CORE_READ(task, real_cred);
	struct {
		u32 uid, gid, suid, sgid, euid, egid, fsuid, fsgid;
		u32 securebits, ngroups;
		u64 cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
		u32 user_ns, user_uid;
	} o = {}, n = {};
	struct event_data *d;

#define RT_READ_CRED(dst, c)							\
	do {									\
		dst.uid = BPF_CORE_READ(c, uid.val);				\
		dst.gid = BPF_CORE_READ(c, gid.val);				\
		dst.suid = BPF_CORE_READ(c, suid.val);				\
		dst.sgid = BPF_CORE_READ(c, sgid.val);				\
		dst.euid = BPF_CORE_READ(c, euid.val);				\
		dst.egid = BPF_CORE_READ(c, egid.val);				\
		dst.fsuid = BPF_CORE_READ(c, fsuid.val);			\
		dst.fsgid = BPF_CORE_READ(c, fsgid.val);			\
		dst.securebits = BPF_CORE_READ(c, securebits);			\
		dst.ngroups = BPF_CORE_READ(c, group_info, ngroups);		\
		dst.cap_inheritable = BPF_CORE_READ(c, cap_inheritable.val);	\
		dst.cap_permitted = read_cap(c, 1);				\
		dst.cap_effective = read_cap(c, 0);				\
		dst.cap_bset = BPF_CORE_READ(c, cap_bset.val);			\
		dst.cap_ambient = BPF_CORE_READ(c, cap_ambient.val);		\
		dst.user_ns = BPF_CORE_READ(c, user_ns, ns.inum);		\
		dst.user_uid = BPF_CORE_READ(c, user, uid.val);			\
	} while (0)

	const u32 *ow = (const u32 *)&o, *nw = (const u32 *)&n;
	u32 diff = 0;
	int i;

	RT_READ_CRED(o, old);
	RT_READ_CRED(n, new);
#pragma unroll
	for (i = 0; i < sizeof(o) / sizeof(u32); i++)
		diff |= ow[i] ^ nw[i];
	if (!diff)
		return 0;
	invalidate_context((u32)bpf_get_current_pid_tgid());
	if (o.euid != 0 && n.euid == 0 && debug_mode)
		bpf_printk("tracee_like: euid %u -> 0 in %d", o.euid, (u32)(bpf_get_current_pid_tgid() >> 32));
	d = init_event(EV_COMMIT_CREDS);
	if (!d)
		return 0;
	save_to_buf(d, &o, sizeof(o), 0);
	save_to_buf(d, &n, sizeof(n), 1);
	if (bpf_core_field_exists(new->ucounts))
		save_u32(d, BPF_CORE_READ(new, ucounts, uid.val), 2);
	save_cred_keys(d, new, 3);
	add_btf_id(d, bpf_core_type_id_kernel(struct cred));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/do_init_module")
int BPF_KPROBE(trace_do_init_module, struct module *mod)
{
	struct event_data *d;

	d = init_event(EV_INIT_MODULE);
	if (!d)
		return 0;
	save_str(d, &mod->name, 0, false);
	save_str(d, BPF_CORE_READ(mod, version), 1, false);
	save_str(d, BPF_CORE_READ(mod, srcversion), 2, false);
	save_u32(d, BPF_CORE_READ(mod, state), 3);
	save_u64(d, BPF_CORE_READ(mod, taints), 4);
	save_u32(d, BPF_CORE_READ(mod, num_syms), 5);
	save_u32(d, BPF_CORE_READ(mod, num_kp), 6);
	save_u32(d, BPF_CORE_READ(mod, mem[MOD_TEXT].size), 7);
	save_u32(d, BPF_CORE_READ(mod, num_tracepoints), 8);
	save_u32(d, BPF_CORE_READ(mod, num_bpf_raw_events), 9);
	save_str(d, BPF_CORE_READ(mod, args), 10, false);
	if (bpf_core_field_exists(((struct module___sig *)mod)->sig_ok))
		save_u32(d, BPF_CORE_READ((struct module___sig *)mod, sig_ok), 11);
	save_str(d, BPF_CORE_READ(mod, mkobj.kobj.name), 12, false);
	save_module_tables(d, mod, 13);
	add_btf_id(d, bpf_core_type_id_kernel(struct module));
	d->context.stack_id = bpf_get_stackid(ctx, &stack_addresses, 0);
	submit_event(ctx, d);
	return 0;
}

SEC("kretprobe/do_init_module")
int BPF_KRETPROBE(trace_ret_do_init_module, int ret)
{
	struct event_data *d;

	d = init_event(EV_INIT_MODULE_RET);
	if (!d)
		return 0;
	d->context.retval = ret;
	save_u32(d, ret, 0);
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/switch_task_namespaces")
int BPF_KPROBE(trace_switch_task_namespaces, struct task_struct *p, struct nsproxy *new)
{
	struct event_data *d;

	if (!new)
		return 0;
	invalidate_context(BPF_CORE_READ(p, pid));
	d = init_event(EV_SWITCH_NS);
	if (!d)
		return 0;
	save_u32(d, BPF_CORE_READ(p, pid), 0);
	save_u32(d, BPF_CORE_READ(new, mnt_ns, ns.inum), 1);
	save_u32(d, BPF_CORE_READ(new, pid_ns_for_children, ns.inum), 2);
	save_u32(d, BPF_CORE_READ(new, uts_ns, ns.inum), 3);
	save_u32(d, BPF_CORE_READ(new, ipc_ns, ns.inum), 4);
	save_u32(d, BPF_CORE_READ(new, net_ns, ns.inum), 5);
	save_u32(d, BPF_CORE_READ(new, cgroup_ns, ns.inum), 6);
	if (bpf_core_type_exists(struct time_namespace) && bpf_core_field_exists(new->time_ns_for_children))
		save_u32(d, BPF_CORE_READ(new, time_ns_for_children, ns.inum), 7);
	save_u32(d, BPF_CORE_READ(new, pid_ns_for_children, level), 8);
	save_u32(d, BPF_CORE_READ(new, net_ns, ifindex), 9);
	save_u32(d, BPF_CORE_READ(new, mnt_ns, nr_mounts), 10);
	save_u64(d, BPF_CORE_READ(new, time_ns, offsets.monotonic.tv_sec), 11);
	save_u64(d, BPF_CORE_READ(new, time_ns, offsets.boottime.tv_sec), 12);
	save_u64(d, get_cgroup_id(BPF_CORE_READ(new, cgroup_ns, root_cset, dfl_cgrp)), 13);
	save_ns_details(d, new, 14);
	add_btf_id(d, bpf_core_type_id_kernel(struct nsproxy));
	submit_event(ctx, d);
	return 0;
}

SEC("kprobe/security_inode_unlink")
int BPF_KPROBE(trace_security_inode_unlink, struct inode *dir, struct dentry *dentry)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	struct super_block *sb = BPF_CORE_READ(dentry, d_sb);
	struct vfsmount *mnt = BPF_CORE_READ(task, fs, pwd.mnt);
	struct event_data *d;

	d = init_event(EV_INODE_UNLINK);
	if (!d)
		return 0;
	save_dentry_path(d, dentry, mnt, 0);
	save_u64(d, BPF_CORE_READ(inode, i_ino), 1);
	save_u32(d, BPF_CORE_READ(sb, s_dev), 2);
	save_u64(d, get_ctime(inode), 3);
	save_u64(d, BPF_CORE_READ(dir, i_ino), 4);
	save_u32(d, BPF_CORE_READ(inode, i_mode), 5);
	save_to_buf(d, &sb->s_id, sizeof(sb->s_id), 6);
	save_u64(d, BPF_CORE_READ(sb, s_magic), 7);
	save_u32(d, BPF_CORE_READ(dentry, d_flags), 8);
	add_btf_id(d, bpf_core_type_id_kernel(struct dentry));
	add_btf_id(d, bpf_core_type_id_kernel(struct inode));
	submit_event(ctx, d);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
