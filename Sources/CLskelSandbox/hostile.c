/* Test-only hostile actions; the worker runs them only when started with
 * --allow-test-hostile, to prove the sandbox contains each one. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int lskel_hostile_read_file(const char *path, char *out, size_t out_len)
{
	FILE *file = fopen(path, "r");

	if (!file) {
		snprintf(out, out_len, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(out, out_len, "opened %s", path);
	fclose(file);
	return 0;
}

int lskel_hostile_socket(char *out, size_t out_len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	snprintf(out, out_len, "socket() returned %d (%s)", fd, fd < 0 ? strerror(errno) : "open");
	return fd;
}

int lskel_hostile_bpf(char *out, size_t out_len)
{
	long ret = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, NULL, 0);

	snprintf(out, out_len, "bpf() returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_fork(char *out, size_t out_len)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	snprintf(out, out_len, "fork() returned %d (%s)", pid, pid < 0 ? strerror(errno) : "child");
	return pid;
}

int lskel_hostile_kill_server(char *out, size_t out_len)
{
	/* The fork server is PID 1 of the worker PID namespace; siblings are its other children. */
	int ret = kill(1, SIGKILL);

	snprintf(out, out_len, "kill(1) returned %d (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return ret;
}

int lskel_hostile_exec(char *out, size_t out_len)
{
	char *argv[] = { "/bin/sh", "-c", "true", NULL };

	execv("/bin/sh", argv);
	snprintf(out, out_len, "execv() failed: %s", strerror(errno));
	return -errno;
}

int lskel_hostile_alloc(uint64_t bytes, char *out, size_t out_len)
{
	char *p = malloc(bytes);

	if (!p) {
		snprintf(out, out_len, "malloc(%llu) failed", (unsigned long long)bytes);
		return -ENOMEM;
	}
	/* Touch every page so the memory is really used. */
	for (uint64_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
	snprintf(out, out_len, "allocated %llu bytes", (unsigned long long)bytes);
	free(p);
	return 0;
}

void lskel_hostile_spin(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}

void lskel_hostile_segv(void)
{
	volatile int *p = (volatile int *)16;

	*p = 1;
}

int lskel_hostile_limit_server(uint64_t files, char *out, size_t out_len)
{
	/* The fork server is PID 1: with too few descriptors it could take no
	 * more jobs, with none it would exit. */
	struct rlimit limit = { files, files };
	long ret = syscall(SYS_prlimit64, 1, RLIMIT_NOFILE, &limit, NULL);

	snprintf(out, out_len, "prlimit64(1) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_signal_owner(char *out, size_t out_len)
{
	/* Make our stdout signal PID 1 with SIGKILL on every write. */
	long ret = syscall(SYS_fcntl, STDOUT_FILENO, F_SETOWN, 1);

	if (ret == 0)
		ret = syscall(SYS_fcntl, STDOUT_FILENO, F_SETSIG, SIGKILL);
	if (ret == 0)
		ret = syscall(SYS_fcntl, STDOUT_FILENO, F_SETFL, O_ASYNC);
	snprintf(out, out_len, "fcntl(F_SETOWN, F_SETSIG, O_ASYNC) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_async_stdout(char *out, size_t out_len)
{
	long ret = syscall(SYS_fcntl, STDOUT_FILENO, F_SETFL, O_ASYNC | O_NONBLOCK);

	snprintf(out, out_len, "fcntl(F_SETFL, O_ASYNC) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_renice_server(char *out, size_t out_len)
{
	long ret = syscall(SYS_setpriority, PRIO_PROCESS, 1, 19);

	snprintf(out, out_len, "setpriority(1) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_renice_self(int nice, char *out, size_t out_len)
{
	long ret = syscall(SYS_setpriority, PRIO_PROCESS, 0, nice);

	snprintf(out, out_len, "setpriority(0, %d) returned %ld (%s)", nice, ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

static int renice_which(int which, const char *name, char *out, size_t out_len)
{
	long ret = syscall(SYS_setpriority, which, 0, 19);

	snprintf(out, out_len, "setpriority(%s, 0, 19) returned %ld (%s)", name, ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_renice_group(char *out, size_t out_len)
{
	return renice_which(PRIO_PGRP, "PRIO_PGRP", out, out_len);
}

int lskel_hostile_renice_user(char *out, size_t out_len)
{
	return renice_which(PRIO_USER, "PRIO_USER", out, out_len);
}

int lskel_hostile_pin_server(char *out, size_t out_len)
{
	cpu_set_t set;
	long ret;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ret = syscall(SYS_sched_setaffinity, 1, sizeof(set), &set);
	snprintf(out, out_len, "sched_setaffinity(1) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

int lskel_hostile_peek_server(char *out, size_t out_len)
{
	cpu_set_t set;
	long ret = syscall(SYS_sched_getaffinity, 1, sizeof(set), &set);

	snprintf(out, out_len, "sched_getaffinity(1) returned %ld (%s)", ret, ret < 0 ? strerror(errno) : "ok");
	return (int)ret;
}

/* Tries to change, grow or shrink the request's memory file (descriptor 3),
 * which the service writes and seals before the job reads it: each attempt is
 * refused by the seals. */
int lskel_hostile_change_request_memory(char *out, size_t out_len)
{
	static const char byte = 'x';
	int written = (int)write(3, &byte, 1);
	int write_errno = written < 0 ? errno : 0;
	int grown = ftruncate(3, 1 << 24);
	int grow_errno = grown < 0 ? errno : 0;
	int shrunk = ftruncate(3, 0);
	int shrink_errno = shrunk < 0 ? errno : 0;
	void *mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
	int map_errno = mapped == MAP_FAILED ? errno : 0;
	int unsealed = fcntl(3, F_ADD_SEALS, 0);
	int seal_errno = unsealed < 0 ? errno : 0;

	if (mapped != MAP_FAILED)
		munmap(mapped, 4096);
	snprintf(out, out_len, "write: %s; grow: %s; shrink: %s; writable shared map: %s; more seals: %s",
		 written < 0 ? strerror(write_errno) : "done", grown < 0 ? strerror(grow_errno) : "done",
		 shrunk < 0 ? strerror(shrink_errno) : "done", mapped == MAP_FAILED ? strerror(map_errno) : "done",
		 unsealed < 0 ? strerror(seal_errno) : "done");
	return written < 0 && grown < 0 && shrunk < 0 && mapped == MAP_FAILED && unsealed < 0 ? 0 : -1;
}

int lskel_test_request_memory_size(char *out, size_t out_len)
{
	struct stat status;

	if (fstat(3, &status) != 0) {
		snprintf(out, out_len, "fstat: %s", strerror(errno));
		return -1;
	}
	snprintf(out, out_len, "size %lld; allocated %lld", (long long)status.st_size, (long long)status.st_blocks * 512);
	return 0;
}
