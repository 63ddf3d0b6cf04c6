/* glibc extensions the Swift Glibc module does not expose, and SHA-256 for
 * processes that do not link the engine. */
#include "lskel_system.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int lskel_pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

#include <signal.h>
#include <sys/prctl.h>

pid_t lskel_spawn_bound(const char *path, char *const argv[], int stdout_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* The child ends with its parent, even one killed outright. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	int null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0) {
		dup2(null_fd, 0);
		close(null_fd);
	}
	if (stdout_fd >= 0) {
		dup2(stdout_fd, 1);
		dup2(stdout_fd, 2);
	}
	execv(path, argv);
	_exit(127);
}

int lskel_pipe_grow(int fd, int bytes)
{
	return fcntl(fd, F_SETPIPE_SZ, bytes);
}

int lskel_spawn_closefrom(posix_spawn_file_actions_t *actions, int low)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, low);
}

/* SHA-256 through libcrypto's SHA256_* functions rather than EVP: the first
 * EVP digest of a process fetches the algorithm from the default provider
 * (its name map built, its tables filled), 0.3 ms and more of a fresh
 * process's run, and every lskel gen is one. The functions are deprecated
 * in OpenSSL 3 in favour of EVP, not removed; the digest is the same. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>

void lskel_crypto_init_digests_only(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL);
}

int lskel_digest_sha256(const void *data, size_t len, unsigned char *out)
{
	SHA256_CTX ctx;

	if (!SHA256_Init(&ctx) || !SHA256_Update(&ctx, data, len) || !SHA256_Final(out, &ctx))
		return -1;
	return 0;
}

int lskel_digest_sha256_parts(const void *const *data, const size_t *lens, int count, unsigned char *out)
{
	SHA256_CTX ctx;
	int ok = SHA256_Init(&ctx);

	for (int i = 0; ok && i < count; i++)
		ok = SHA256_Update(&ctx, data[i], lens[i]);
	return ok && SHA256_Final(out, &ctx) ? 0 : -1;
}

void *lskel_sha256_begin(void)
{
	SHA256_CTX *ctx = malloc(sizeof(*ctx));

	if (ctx && !SHA256_Init(ctx)) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

int lskel_sha256_update(void *ctx, const void *data, size_t len)
{
	return ctx && SHA256_Update(ctx, data, len) ? 0 : -1;
}

int lskel_sha256_end(void *ctx, unsigned char *out)
{
	int ok = ctx && SHA256_Final(out, ctx);

	free(ctx);
	return ok ? 0 : -1;
}

void lskel_sha256_free(void *ctx)
{
	free(ctx);
}

#include <sys/mman.h>

int lskel_request_memory_create(void)
{
	int fd = memfd_create("lskel-request", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	return fd < 0 ? -errno : fd;
}

int lskel_request_memory_seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ? -errno : 0;
}

int lskel_request_memory_is_sealed(int fd)
{
	const int required = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return -errno;
	return (seals & required) == required;
}

int lskel_seqpacket_pair(int fds[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int lskel_send_with_fds(int sock, const void *data, size_t len, const int *fds, int count)
{
	char space[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { (void *)data, len };
	struct msghdr header = { 0 };
	struct cmsghdr *cmsg;

	if (count < 0 || count > 8)
		return -EINVAL;
	header.msg_iov = &iov;
	header.msg_iovlen = 1;
	if (count > 0) {
		memset(space, 0, sizeof(space));
		header.msg_control = space;
		header.msg_controllen = CMSG_SPACE((size_t)count * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&header);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, (size_t)count * sizeof(int));
	}
	while (sendmsg(sock, &header, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

#include <malloc.h>

void lskel_malloc_short_process(void)
{
	mallopt(M_ARENA_MAX, 1);
	/* Large blocks from the heap too (up to glibc's 32 MiB ceiling), and the
	 * heap never trimmed: a freed block is reused, not unmapped and faulted
	 * in again. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	mallopt(M_TOP_PAD, 1 << 20);
}

void lskel_malloc_long_server(void)
{
	/* Fixed values also turn off glibc's moving thresholds, under which a
	 * freed block of a few hundred KiB let the heap top be trimmed and the
	 * next upload fault its pages in again. */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

#include <stdint.h>
#include <sys/mman.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void lskel_populate_write(void *addr, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (page <= 0 || len == 0)
		return;
	start = ((uintptr_t)addr + page - 1) & ~((uintptr_t)page - 1);
	end = ((uintptr_t)addr + len) & ~((uintptr_t)page - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

#include <pthread.h>
#include <sched.h>

int lskel_thread_attr_other_cpus(pthread_attr_t *attr)
{
	cpu_set_t allowed;
	int here = sched_getcpu();

	if (here < 0 || here >= CPU_SETSIZE || sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return 0;
	if (!CPU_ISSET(here, &allowed) || CPU_COUNT(&allowed) < 2)
		return 0;
	CPU_CLR(here, &allowed);
	return pthread_attr_setaffinity_np(attr, sizeof(allowed), &allowed) == 0;
}

void lskel_thread_take_process_cpus(void)
{
	cpu_set_t allowed;

	/* The thread group leader's mask: the one this thread was started without. */
	if (sched_getaffinity(getpid(), sizeof(allowed), &allowed) == 0)
		(void)sched_setaffinity(0, sizeof(allowed), &allowed);
}
