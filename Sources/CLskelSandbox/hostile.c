/* Test-only hostile actions; the worker runs them only when started with
 * --allow-test-hostile, to prove the sandbox contains each one. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
