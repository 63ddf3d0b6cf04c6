/* The worker sandbox: see lskel_sandbox.h. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static void note(struct lskel_sandbox_report *report, const char *what, int err)
{
	size_t used = strlen(report->failures);
	snprintf(report->failures + used, sizeof(report->failures) - used, "%s%s: %s",
		 used ? "; " : "", what, strerror(err));
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(text);

	if (fd < 0)
		return -errno;
	n = write(fd, text, (size_t)len);
	close(fd);
	return n == len ? 0 : -EIO;
}

static int map_ids(uid_t uid, gid_t gid)
{
	char map[64];
	int err;

	err = write_file("/proc/self/setgroups", "deny");
	if (err && err != -ENOENT)
		return err;
	snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
	err = write_file("/proc/self/uid_map", map);
	if (err)
		return err;
	snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
	return write_file("/proc/self/gid_map", map);
}

/* Runs in the parent once the PID namespace exists: relays the child's end. */
static void relay_child(pid_t child)
{
	int status;

	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			_exit(LSKEL_EXIT_RELAY_WAIT);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		kill(getpid(), sig);
	}
	_exit(LSKEL_EXIT_RELAY_STATUS);
}

static int empty_root(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755"))
		return -errno;
	if (mkdir("/tmp/.old", 0700))
		return -errno;
	if (syscall(SYS_pivot_root, "/tmp", "/tmp/.old"))
		return -errno;
	if (chdir("/"))
		return -errno;
	if (umount2("/.old", MNT_DETACH))
		return -errno;
	rmdir("/.old");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return -errno;
	return 0;
}

static int drop_capabilities(void)
{
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int cap;

	for (cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &header, data))
		return -errno;
	return 0;
}

static int set_limit(int resource, uint64_t value)
{
	struct rlimit limit = { value, value };

	return setrlimit(resource, &limit) ? -errno : 0;
}

static int apply_limits(const struct lskel_sandbox_limits *limits)
{
	int err = 0;

	err = err ? err : set_limit(RLIMIT_AS, limits->address_space_bytes);
	/* The soft CPU limit sends SIGXCPU; the hard one, a second later, SIGKILL.
	 * A fork server lives long: each job sets its own (lskel_sandbox_enter_job). */
	if (!err && !limits->fork_server) {
		struct rlimit cpu = { limits->cpu_seconds, limits->cpu_seconds + 1 };
		err = setrlimit(RLIMIT_CPU, &cpu) ? -errno : 0;
	}
	err = err ? err : set_limit(RLIMIT_FSIZE, limits->file_size_bytes);
	err = err ? err : set_limit(RLIMIT_NOFILE, limits->open_files);
	err = err ? err : set_limit(RLIMIT_CORE, 0);
	return err;
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	char text[64];
	int n, nr = info->si_syscall;
	(void)sig;
	(void)context;

	n = snprintf(text, sizeof(text), "\nforbidden system call %d\n", nr);
	if (n > 0)
		(void)!write(STDERR_FILENO, text, (size_t)n);
	syscall(SYS_exit_group, LSKEL_EXIT_FORBIDDEN_SYSCALL);
}

/* What every worker may call: memory, reading its request, writing its answer. */
static const int job_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(futex), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom), SCMP_SYS(memfd_create),
	SCMP_SYS(ftruncate), SCMP_SYS(uname), SCMP_SYS(dup), SCMP_SYS(getrlimit),
	SCMP_SYS(sched_yield), SCMP_SYS(sigaltstack), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	/* glibc's qsort asks for the physical memory size (sysconf(_SC_PHYS_PAGES))
	 * the first time it sorts more than a little: machine-wide and read-only. */
	SCMP_SYS(sysinfo),
	/* The kernel's way back into an allowed call a stop signal interrupted
	 * (poll with or without a timeout, futex and nanosleep with one): it
	 * resumes only that call.
	 * Without it, SIGSTOP and SIGCONT (a debugger, job control, a frozen
	 * container) killed the fork server waiting in poll, and its jobs with it. */
	SCMP_SYS(restart_syscall),
};

/* The fcntl commands the pipeline uses. Left out on purpose: F_SETOWN,
 * F_SETOWN_EX and F_SETSIG (a descriptor that signals another process),
 * leases, notifications and pipe resizing. */
static const int job_fcntl_commands[] = {
	F_GETFD, F_SETFD, F_GETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GETLK, F_SETLK, F_SETLKW,
	F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_ADD_SEALS, F_GET_SEALS,
};

/* What the fork server adds for itself: forking jobs, receiving their
 * descriptors, reaping and killing them, and locking each one down. */
static const int fork_server_syscalls[] = {
	SCMP_SYS(wait4), SCMP_SYS(kill), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(signalfd4), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(close_range),
	SCMP_SYS(setrlimit), SCMP_SYS(prctl), SCMP_SYS(seccomp), SCMP_SYS(set_robust_list),
	SCMP_SYS(getppid),
	/* A forked job allocating its request memory file's pages before its lock-down. */
	SCMP_SYS(fallocate),
};

static int install_seccomp(bool fork_server)
{
	scmp_filter_ctx ctx;
	size_t i;
	int err = 0;

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	for (i = 0; !err && i < sizeof(job_syscalls) / sizeof(job_syscalls[0]); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, job_syscalls[i], 0);
	for (i = 0; fork_server && !err && i < sizeof(fork_server_syscalls) / sizeof(fork_server_syscalls[0]); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, fork_server_syscalls[i], 0);
	for (i = 0; !err && i < sizeof(job_fcntl_commands) / sizeof(job_fcntl_commands[0]); i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				       SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)job_fcntl_commands[i]));
	/* F_SETFL, but never O_ASYNC (signals to the descriptor's owner). */
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 2,
					   SCMP_A1(SCMP_CMP_EQ, F_SETFL),
					   SCMP_A2(SCMP_CMP_MASKED_EQ, O_ASYNC, 0));
	/* Limits and CPU affinity of this process only (pid 0): another
	 * process's limits would let a job starve the fork server of
	 * descriptors or end it. */
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_EQ, 0));
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_getaffinity), 1,
					   SCMP_A0(SCMP_CMP_EQ, 0));
	/* Nice 19 for this process only: a job that has written its answer
	 * exits at the lowest priority. No other value, no other process. */
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setpriority), 3,
					   SCMP_A0(SCMP_CMP_EQ, PRIO_PROCESS), SCMP_A1(SCMP_CMP_EQ, 0),
					   SCMP_A2(SCMP_CMP_EQ, 19));
	/* fork() only: no new namespaces, no threads. */
	if (fork_server && !err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ,
					       CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
					       CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_THREAD | CLONE_VM,
					       0));
	/* Opening for reading only: there is nothing to read in the empty root. */
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
					   SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
					   SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
	/* isatty() on the standard streams. */
	err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, 0x5401 /* TCGETS */));
	/* abort() signals itself (this process: the filter is built where it
	 * applies). The fork server's own filter does not pin the pid, or the
	 * filter each job stacks on it could never match: the server may kill()
	 * its jobs anyway, and each job pins its own pid. */
	if (fork_server)
		err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 0);
	else
		err = err ? err : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
						   SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	err = err ? err : seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}

int lskel_sandbox_enter_job(const struct lskel_sandbox_limits *limits, uint32_t layers)
{
	struct rlimit cpu = { limits->cpu_seconds, limits->cpu_seconds + 1 };

	if ((layers & LSKEL_LAYER_RLIMITS) && setrlimit(RLIMIT_CPU, &cpu))
		return -errno;
	/* Stacked on the fork server's filter: the job loses fork, kill, wait
	 * and descriptor passing. */
	if (layers & LSKEL_LAYER_SECCOMP)
		return install_seccomp(false);
	return 0;
}

int lskel_sandbox_apply(const struct lskel_sandbox_limits *limits, struct lskel_sandbox_report *report)
{
	struct sigaction action;
	uid_t uid = getuid();
	gid_t gid = getgid();
	bool in_userns = false;
	int flags, err;
	pid_t parent, child;

	memset(report, 0, sizeof(*report));

	/* 1. Unprivileged identity. */
	if (uid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY)) {
			note(report, "unprivileged uid", errno);
		} else {
			uid = NOBODY;
			gid = NOBODY;
			/* setuid cleared it; /proc/self/uid_map needs it to be ours. */
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		}
	}
	if (uid != 0)
		report->layers |= LSKEL_LAYER_UNPRIVILEGED;

	/* 2. Namespaces, all at once where possible, else one by one. */
	flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
	if (unshare(flags) == 0) {
		in_userns = true;
		report->layers |= LSKEL_LAYER_USER_NS | LSKEL_LAYER_MOUNT_NS | LSKEL_LAYER_NET_NS |
				  LSKEL_LAYER_IPC_NS | LSKEL_LAYER_UTS_NS | LSKEL_LAYER_PID_NS;
	} else {
		static const struct { int flag; uint32_t layer; const char *name; } each[] = {
			{ CLONE_NEWUSER, LSKEL_LAYER_USER_NS, "user namespace" },
			{ CLONE_NEWNS, LSKEL_LAYER_MOUNT_NS, "mount namespace" },
			{ CLONE_NEWNET, LSKEL_LAYER_NET_NS, "network namespace" },
			{ CLONE_NEWIPC, LSKEL_LAYER_IPC_NS, "IPC namespace" },
			{ CLONE_NEWUTS, LSKEL_LAYER_UTS_NS, "UTS namespace" },
			{ CLONE_NEWPID, LSKEL_LAYER_PID_NS, "PID namespace" },
		};
		size_t i;

		for (i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
			if (unshare(each[i].flag) == 0) {
				report->layers |= each[i].layer;
				if (each[i].flag == CLONE_NEWUSER)
					in_userns = true;
			} else {
				note(report, each[i].name, errno);
			}
		}
	}
	if (in_userns) {
		err = map_ids(uid, gid);
		if (err)
			note(report, "user namespace id map", -err);
	}

	/* 3. PID namespace: the work happens in PID 1 of it. */
	if (report->layers & LSKEL_LAYER_PID_NS) {
		parent = getpid();
		child = fork();
		if (child < 0) {
			note(report, "fork into the PID namespace", errno);
			report->layers &= ~(uint32_t)LSKEL_LAYER_PID_NS;
		} else if (child > 0) {
			relay_child(child);
		} else {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			if (getppid() != parent && getppid() != 0)
				_exit(LSKEL_EXIT_RELAY_ORPHANED);
		}
	}

	/* 4. Empty root. */
	if (report->layers & LSKEL_LAYER_MOUNT_NS) {
		err = empty_root();
		if (err)
			note(report, "empty root", -err);
		else
			report->layers |= LSKEL_LAYER_EMPTY_ROOT;
	}
	if (report->layers & LSKEL_LAYER_UTS_NS)
		sethostname("lskel-worker", strlen("lskel-worker"));

	/* 5. Limits, while setrlimit may still raise nothing. */
	err = apply_limits(limits);
	if (err)
		note(report, "rlimits", -err);
	else
		report->layers |= LSKEL_LAYER_RLIMITS;

	/* 6. Capabilities. */
	err = drop_capabilities();
	if (err)
		note(report, "dropping capabilities", -err);
	else
		report->layers |= LSKEL_LAYER_NO_CAPS;

	/* 7. no_new_privs, then the filter. */
	if (limits->simulate_missing & LSKEL_LAYER_NO_NEW_PRIVS)
		note(report, "no_new_privs (left out for a test)", EPERM);
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		note(report, "no_new_privs", errno);
	else
		report->layers |= LSKEL_LAYER_NO_NEW_PRIVS;

	memset(&action, 0, sizeof(action));
	action.sa_sigaction = on_sigsys;
	action.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &action, NULL);
	err = (limits->simulate_missing & LSKEL_LAYER_SECCOMP) ? -EPERM : install_seccomp(limits->fork_server);
	if (err)
		note(report, "seccomp", -err);
	else
		report->layers |= LSKEL_LAYER_SECCOMP;
	return 0;
}
