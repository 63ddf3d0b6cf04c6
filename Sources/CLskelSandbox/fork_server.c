/* The fork server: see lskel_sandbox.h. It runs locked down already (as PID 1
 * of the worker's PID namespace), reads only fixed-size control messages from
 * the service, and never touches a job's input. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOBS 256
/* stdin, stdout, stderr and, when the service sends one, the request's memory. */
#define JOB_FDS 4

struct live_job {
	pid_t pid;
	uint64_t job;
};

static struct live_job jobs[MAX_JOBS];

static void send_message(int control, uint32_t kind, int32_t value, uint64_t job)
{
	struct lskel_fork_message message = { kind, value, job };

	/* write(), not send(): the filter allows no sendto. The service never
	 * closes first while jobs run, and a failed report only loses a status. */
	while (write(control, &message, sizeof(message)) < 0 && errno == EINTR)
		;
}

static struct live_job *find_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < MAX_JOBS; i++)
		if (jobs[i].pid == pid)
			return &jobs[i];
	return NULL;
}

static struct live_job *find_job(uint64_t job)
{
	size_t i;

	for (i = 0; i < MAX_JOBS; i++)
		if (jobs[i].pid > 0 && jobs[i].job == job)
			return &jobs[i];
	return NULL;
}

/* Reaps every finished job and tells the service. */
static void reap(int control)
{
	struct live_job *slot;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		slot = find_pid(pid);
		if (!slot)
			continue;
		send_message(control, 'x', status, slot->job);
		slot->pid = 0;
	}
}

/* Receives one control message and up to JOB_FDS descriptors; returns its
 * length, 0 when the service closed the socket, -1 on error. */
static ssize_t receive(int control, struct lskel_fork_message *message, int fds[JOB_FDS], int *fd_count)
{
	char space[CMSG_SPACE(JOB_FDS * sizeof(int))];
	struct iovec iov = { message, sizeof(*message) };
	struct msghdr header = { 0 };
	struct cmsghdr *cmsg;
	ssize_t n;

	header.msg_iov = &iov;
	header.msg_iovlen = 1;
	header.msg_control = space;
	header.msg_controllen = sizeof(space);
	*fd_count = 0;
	do {
		n = recvmsg(control, &header, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
			int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int i;

			for (i = 0; i < count; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
				if (*fd_count < JOB_FDS)
					fds[(*fd_count)++] = fd;
				else
					close(fd);
			}
		}
	}
	/* A truncated message or cut-off descriptors are not a job. */
	if ((size_t)n != sizeof(*message) || (header.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -1;
	return n;
}

/* In the forked job: descriptors 0 to fd_count - 1 from the message, nothing else open.
 * With a request memory file and a size for it, the job gives that file its pages
 * now, while it waits warm: the service's write of the request's object then
 * copies into pages that exist instead of allocating each one on the request's
 * path. The file keeps its size (0): the service's write sets it. A failure
 * (no memory, a seal already set) only leaves the write to allocate. */
static void become_job(int control, int signal_fd, const int fds[JOB_FDS], int fd_count,
		       int32_t request_memory_kib, const struct lskel_sandbox_limits *limits, uint32_t layers)
{
	sigset_t none;
	int i, err;

	close(control);
	close(signal_fd);
	/* Received descriptors are numbered 3 and up (0-2 are the server's own
	 * and stay open), so none is overwritten before it is moved. */
	for (i = 0; i < fd_count; i++) {
		if (dup2(fds[i], i) < 0)
			_exit(LSKEL_EXIT_JOB_DESCRIPTORS);
	}
	if (syscall(SYS_close_range, fd_count, ~0U, 0) < 0) {
		for (i = fd_count; i < 1024; i++)
			close(i);
	}
	if (fd_count == JOB_FDS && request_memory_kib > 0)
		(void)fallocate(JOB_FDS - 1, FALLOC_FL_KEEP_SIZE, 0, (off_t)request_memory_kib << 10);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	err = lskel_sandbox_enter_job(limits, layers);
	if (err) {
		static const char text[] = "lskel-worker: the job's lock-down failed\n";
		(void)!write(STDERR_FILENO, text, sizeof(text) - 1);
		_exit(LSKEL_EXIT_JOB_LOCKDOWN);
	}
}

int lskel_fork_server_serve(int control, const struct lskel_sandbox_limits *limits, uint32_t layers)
{
	struct lskel_fork_message message;
	struct pollfd watch[2];
	sigset_t child;
	int signal_fd, fds[JOB_FDS], fd_count, i;
	ssize_t n;
	pid_t pid;

	sigemptyset(&child);
	sigaddset(&child, SIGCHLD);
	sigprocmask(SIG_BLOCK, &child, NULL);
	signal_fd = signalfd(-1, &child, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		_exit(LSKEL_EXIT_SIGNALFD);

	for (;;) {
		watch[0] = (struct pollfd){ .fd = control, .events = POLLIN };
		watch[1] = (struct pollfd){ .fd = signal_fd, .events = POLLIN };
		if (poll(watch, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(LSKEL_EXIT_POLL);
		}
		if (watch[1].revents) {
			struct signalfd_siginfo info;

			while (read(signal_fd, &info, sizeof(info)) > 0)
				;
			reap(control);
		}
		if (!watch[0].revents)
			continue;
		n = receive(control, &message, fds, &fd_count);
		if (n == 0 || (n < 0 && errno != EAGAIN && (watch[0].revents & (POLLHUP | POLLERR))))
			_exit(0); /* The service is gone; as PID 1, this ends every job. */
		if (n < 0) {
			for (i = 0; i < fd_count; i++)
				close(fds[i]);
			continue;
		}
		if (message.kind == 'K') {
			struct live_job *slot = find_job(message.job);

			if (slot)
				kill(slot->pid, SIGKILL);
			continue;
		}
		if (message.kind != 'S' || fd_count < 3) {
			for (i = 0; i < fd_count; i++)
				close(fds[i]);
			if (message.kind == 'S')
				send_message(control, 'f', EBADF, message.job);
			continue;
		}
		{
			struct live_job *slot = find_pid(0);

			if (!slot) {
				send_message(control, 'f', EAGAIN, message.job);
			} else {
				pid = fork();
				if (pid == 0) {
					become_job(control, signal_fd, fds, fd_count, message.value, limits, layers);
					return 0;
				}
				if (pid < 0) {
					send_message(control, 'f', errno, message.job);
				} else {
					slot->pid = pid;
					slot->job = message.job;
					/* Started: the service replaces a server that stops saying so. */
					send_message(control, 's', pid, message.job);
				}
			}
			for (i = 0; i < fd_count; i++)
				close(fds[i]);
		}
	}
}
