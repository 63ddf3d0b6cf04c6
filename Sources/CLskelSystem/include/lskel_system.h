#ifndef LSKEL_SYSTEM_H
#define LSKEL_SYSTEM_H

#include <spawn.h>

/* pipe2(fds, O_CLOEXEC). */
int lskel_pipe_cloexec(int fds[2]);

/* fork + exec of `path` with `argv`, stdin from /dev/null, stdout and stderr to
 * `stdout_fd` (if >= 0), and PR_SET_PDEATHSIG so the child is killed when this
 * process ends, however it ends. Returns the child's pid, or -1. */
pid_t lskel_spawn_bound(const char *path, char *const argv[], int stdout_fd);

/* fcntl(fd, F_SETPIPE_SZ, bytes): the pipe's capacity (at most
 * /proc/sys/fs/pipe-max-size); returns the new capacity or -1. */
int lskel_pipe_grow(int fd, int bytes);
/* Closes every descriptor from `low` up in the spawned child. */
int lskel_spawn_closefrom(posix_spawn_file_actions_t *actions, int low);

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

/* socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC). */
int lskel_seqpacket_pair(int fds[2]);
/* Sends one datagram of `len` bytes with `count` descriptors attached
 * (SCM_RIGHTS). Returns 0 or -errno. */
int lskel_send_with_fds(int sock, const void *data, size_t len, const int *fds, int count);

/* A memory file for one job's request (memfd_create, close-on-exec, sealable):
 * the service writes the object into it and seals it, the job maps it.
 * Returns the descriptor or -errno. */
int lskel_request_memory_create(void);
/* Seals a request's memory file against every change (writes, growing,
 * shrinking, more seals): the job that maps it reads exactly what was written
 * and can neither change it nor grow it. Returns 0 or -errno. */
int lskel_request_memory_seal(int fd);
/* 1 when the file open at `fd` is sealed against writes, growing and
 * shrinking (what lskel_request_memory_seal adds), 0 when not, -errno. */
int lskel_request_memory_is_sealed(int fd);

/* SHA-256 of data into out (32 bytes). Returns 0, or -1 if libcrypto failed. */
int lskel_digest_sha256(const void *data, size_t len, unsigned char *out);
/* SHA-256 over `count` buffers in turn, as if they were one. */
int lskel_digest_sha256_parts(const void *const *data, const size_t *lens, int count, unsigned char *out);

/* An SHA-256 computed as its input arrives: begin (NULL on failure), update
 * any number of times, then end (writes 32 bytes, frees the context; 0 on
 * success) or free (drops it). */
void *lskel_sha256_begin(void);
int lskel_sha256_update(void *ctx, const void *data, size_t len);
int lskel_sha256_end(void *ctx, unsigned char *out);
void lskel_sha256_free(void *ctx);
/* Starts libcrypto for digests only: no configuration file read, no cipher
 * and digest name tables (a third of a small `lskel gen`'s library time).
 * For processes that never sign; call before any other libcrypto use. */
void lskel_crypto_init_digests_only(void);

/* Tunes malloc for a process that lives for one command and ends with _exit:
 * every thread allocates from the main heap (M_ARENA_MAX 1: for helper threads
 * that allocate little, an arena of their own costs more page faults than
 * their locking), and memory freed is kept for reuse rather than returned to
 * the system (large blocks from the heap, no trimming), so a block freed and
 * allocated again is not unmapped and faulted in again. */
void lskel_malloc_short_process(void);

/* Tunes malloc for the service, which receives uploads of up to megabytes
 * at a high rate: blocks up to 4 MiB come from the heap, and an arena keeps up
 * to 64 MiB free at its top instead of returning it, so the next request's
 * buffers reuse pages already mapped (cached POSTs of every benchmark object
 * at c=8: 637,518 -> 18,781 page faults in the server, 2,297-2,617 -> 2,708-2,870
 * requests/s). Resident memory then stays near its high-water mark. */
void lskel_malloc_long_server(void);

/* Makes the whole pages of [addr, addr + len) present and writable in one
 * call (MADV_POPULATE_WRITE, Linux 5.14) before a buffer is read into: one
 * system call instead of a page fault per page. Does nothing where the
 * kernel lacks it. */
void lskel_populate_write(void *addr, size_t len);

#include <pthread.h>

/* Restricts `attr`'s threads to the CPUs this process may use other than the
 * calling thread's own, so that a thread started for work beside the caller
 * starts on another CPU. (Linux places a new thread on its creator's CPU on a
 * small machine, where it waits until the creator blocks.) Returns 1 if the
 * attribute was set, 0 if there is no other CPU or it could not be known. */
int lskel_thread_attr_other_cpus(pthread_attr_t *attr);
/* Gives the calling thread the process's CPUs again (those of the thread group
 * leader): called first by a thread started with the attribute above. */
void lskel_thread_take_process_cpus(void);

#endif
