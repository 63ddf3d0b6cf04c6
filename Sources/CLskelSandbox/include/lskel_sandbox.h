#ifndef LSKEL_SANDBOX_H
#define LSKEL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The worker's lock-down, applied before it reads a byte of input.
 *
 * In order, each step checked: drop to an unprivileged uid/gid (when started
 * as root); new user, mount, network, IPC, UTS and PID namespaces (a forked
 * child becomes PID 1 of the new PID namespace and does the work; the parent
 * only relays its exit status); an empty read-only tmpfs root (pivot_root),
 * so no /proc, /sys, /boot or /etc; every capability dropped; no_new_privs; a
 * seccomp allow-list (anything else traps and the worker exits reporting the
 * system call); rlimits on address space, CPU seconds, file size, open files
 * and core dumps.
 */
enum lskel_layer {
	LSKEL_LAYER_UNPRIVILEGED = 1 << 0,
	LSKEL_LAYER_USER_NS = 1 << 1,
	LSKEL_LAYER_MOUNT_NS = 1 << 2,
	LSKEL_LAYER_NET_NS = 1 << 3,
	LSKEL_LAYER_IPC_NS = 1 << 4,
	LSKEL_LAYER_UTS_NS = 1 << 5,
	LSKEL_LAYER_PID_NS = 1 << 6,
	LSKEL_LAYER_EMPTY_ROOT = 1 << 7,
	LSKEL_LAYER_NO_CAPS = 1 << 8,
	LSKEL_LAYER_NO_NEW_PRIVS = 1 << 9,
	LSKEL_LAYER_SECCOMP = 1 << 10,
	LSKEL_LAYER_RLIMITS = 1 << 11,
	LSKEL_LAYER_ALL = (1 << 12) - 1,
};

struct lskel_sandbox_limits {
	uint64_t address_space_bytes;
	uint64_t cpu_seconds;
	uint64_t file_size_bytes;
	uint64_t open_files;
	/* Test only: layers to leave out, as if the kernel refused them
	 * (LSKEL_LAYER_SECCOMP and LSKEL_LAYER_NO_NEW_PRIVS are honoured). */
	uint32_t simulate_missing;
	/* Lock down a fork server (see lskel_fork_server_serve): no CPU limit
	 * of its own, and a filter that also lets it fork and reap jobs. */
	bool fork_server;
};

struct lskel_sandbox_report {
	uint32_t layers;	/* enum lskel_layer bits that are in force */
	char failures[1024];	/* why missing layers are missing, "; " separated */
};

/* How a worker process exits. Mirrored by WorkerExit (LskelModel); a test
 * holds the two to the same names and numbers. */
enum lskel_worker_exit {
	LSKEL_EXIT_OK = 0,
	LSKEL_EXIT_USAGE = 2,
	LSKEL_EXIT_WRITE_FAILED = 3,
	LSKEL_EXIT_READ_FAILED = 4,
	LSKEL_EXIT_REQUEST_TOO_LARGE = 5,
	LSKEL_EXIT_SANDBOX_FAILED = 6,
	LSKEL_EXIT_BAD_REQUEST = 7,
	LSKEL_EXIT_HOSTILE_DISABLED = 8,
	LSKEL_EXIT_UNKNOWN_ACTION = 9,
	LSKEL_EXIT_READY_FAILED = 10,
	LSKEL_EXIT_FORK_SERVER_FAILED = 11,
	/* The seccomp filter stopped a system call; stderr then holds "forbidden system call N". */
	LSKEL_EXIT_FORBIDDEN_SYSCALL = 97,
	LSKEL_EXIT_OUT_OF_MEMORY = 98,
	/* The PID-namespace relay: waitpid failed, the child ended oddly, the parent died first. */
	LSKEL_EXIT_RELAY_WAIT = 111,
	LSKEL_EXIT_RELAY_STATUS = 112,
	LSKEL_EXIT_RELAY_ORPHANED = 113,
	/* The fork server and its jobs: descriptors, job lock-down, signalfd, poll. */
	LSKEL_EXIT_JOB_DESCRIPTORS = 120,
	LSKEL_EXIT_JOB_LOCKDOWN = 121,
	LSKEL_EXIT_SIGNALFD = 122,
	LSKEL_EXIT_POLL = 123,
};

/*
 * Locks the process down. Returns 0 in the process that must go on working
 * (the PID 1 child when a PID namespace was made); never returns in the
 * relaying parent, which exits with the child's status. Returns -1 only if a
 * layer failed that cannot be skipped (the report says which).
 */
int lskel_sandbox_apply(const struct lskel_sandbox_limits *limits, struct lskel_sandbox_report *report);

/*
 * In a job forked by the fork server: its own CPU limit, and the job filter
 * stacked on the fork server's. `layers` are the fork server's (only layers
 * in force there are applied). Returns 0 or -errno.
 */
int lskel_sandbox_enter_job(const struct lskel_sandbox_limits *limits, uint32_t layers);

/*
 * The fork server. Control messages on `control` (a SOCK_SEQPACKET socket)
 * are struct lskel_fork_message, 16 bytes each:
 *   service -> server  'S' job: fork a job; the message carries three or four
 *                      descriptors (SCM_RIGHTS) that become its stdin, stdout,
 *                      stderr and, when there is a fourth, descriptor 3 (the
 *                      memory file its request's object is written to);
 *                      value, when positive: how many KiB of that file the job
 *                      allocates while it waits (the size the service expects
 *                      of the next object);
 *                      'K' job: kill that job (SIGKILL);
 *   server -> service  's' job, value = pid, once the job is forked;
 *                      'x' job, value = wait status, once the job is reaped;
 *                      'f' job, value = errno, when it could not be forked.
 * Never returns in the server (it exits when `control` closes); returns 0 in
 * each forked job, with descriptors 0-2 (and 3) set, every other one closed and the
 * job's lock-down applied.
 */
struct lskel_fork_message {
	uint32_t kind;
	int32_t value;
	uint64_t job;
};

int lskel_fork_server_serve(int control, const struct lskel_sandbox_limits *limits, uint32_t layers);

/* Test-only hostile actions, run inside the sandbox. Each returns only if the
 * sandbox contained it, with a description of what happened. */
/* Large blocks from the heap, kept on free (see memory.c). Before the first allocation that matters. */
void lskel_worker_tune_malloc(void);
/* Heap made resident before a request arrives (see memory.c). */
void lskel_worker_prefault_heap(size_t bytes);
/* malloc_trim(0): the heap's free pages back to the kernel. */
void lskel_worker_release_free_heap(void);
/* The executable's code copied to anonymous huge pages in place (see text.c):
 * jobs forked afterwards start with it mapped. 0, or -errno (the file mapping
 * is then unchanged). */
int lskel_worker_copy_text_to_huge_pages(void);

int lskel_hostile_read_file(const char *path, char *out, size_t out_len);
int lskel_hostile_socket(char *out, size_t out_len);
int lskel_hostile_bpf(char *out, size_t out_len);
int lskel_hostile_fork(char *out, size_t out_len);
int lskel_hostile_exec(char *out, size_t out_len);
int lskel_hostile_kill_server(char *out, size_t out_len);
int lskel_hostile_alloc(uint64_t bytes, char *out, size_t out_len);
int lskel_hostile_limit_server(uint64_t files, char *out, size_t out_len);
int lskel_hostile_signal_owner(char *out, size_t out_len);
int lskel_hostile_async_stdout(char *out, size_t out_len);
int lskel_hostile_renice_server(char *out, size_t out_len);
/* setpriority(PRIO_PROCESS, 0, nice) on itself: 19 is allowed, no other value. */
int lskel_hostile_renice_self(int nice, char *out, size_t out_len);
/* setpriority(PRIO_PGRP or PRIO_USER, 0, 19): forbidden (the process group holds the fork server; the uid, every job). */
int lskel_hostile_renice_group(char *out, size_t out_len);
int lskel_hostile_renice_user(char *out, size_t out_len);
int lskel_hostile_pin_server(char *out, size_t out_len);
int lskel_hostile_peek_server(char *out, size_t out_len);
int lskel_hostile_change_request_memory(char *out, size_t out_len);
/* Not hostile: the request memory file's size and the bytes allocated to it. */
int lskel_test_request_memory_size(char *out, size_t out_len);
void lskel_hostile_spin(void);
void lskel_hostile_segv(void);

#endif
