/*
 * Redirection of libbpf's host reads to the active target profile.
 *
 * libbpf is linked statically and every call it makes to uname, fopen,
 * gzopen, sysconf and getpagesize is bound to the __wrap_ functions below
 * (see the --wrap linker flags in Package.swift). Outside a generation they
 * forward to the C library unchanged.
 */
#include "lskel_host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

int __real_uname(struct utsname *buf);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
gzFile __real_gzopen(const char *path, const char *mode);
gzFile __real_gzopen64(const char *path, const char *mode);
long __real_sysconf(int name);
int __real_getpagesize(void);

struct bpf_gen;
void __real_bpf_gen__init(struct bpf_gen *gen, int log_level, int nr_progs, int nr_maps);

static const struct lskel_target *active;
/* What bpf_gen__init was told: programs, subprograms counted as libbpf counts them. */
static int loader_nr_progs = -1;

void lskel_gen_records_reset(void);

void lskel_target_activate(const struct lskel_target *target)
{
	lskel_gen_records_reset();
	active = target;
	loader_nr_progs = -1;
}

void lskel_target_deactivate(void)
{
	active = NULL;
}

int lskel_target_loader_nr_progs(void) { return loader_nr_progs; }

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_host_state_path(const char *path)
{
	return has_prefix(path, "/proc/") || has_prefix(path, "/sys/") || has_prefix(path, "/boot/");
}

int __wrap_uname(struct utsname *buf)
{
	int err = __real_uname(buf);

	if (err || !active)
		return err;
	memset(buf->release, 0, sizeof(buf->release));
	if (active->kernel_release)
		strncpy(buf->release, active->kernel_release, sizeof(buf->release) - 1);
	return 0;
}

/* The target's answer for a host path, or NULL with errno set; *handled says
 * whether the path is one the target answers for. */
static FILE *target_fopen(const char *path, bool *handled)
{
	static const char empty[] = "\n";

	*handled = active != NULL;
	if (!active)
		return NULL;
	if (strcmp(path, "/proc/kallsyms") == 0) {
		if (!active->kallsyms || active->kallsyms_len == 0)
			return fmemopen((void *)empty, sizeof(empty) - 1, "r");
		return fmemopen((void *)active->kallsyms, active->kallsyms_len, "r");
	}
	if (is_host_state_path(path)) {
		errno = ENOENT;
		return NULL;
	}
	*handled = false;
	return NULL;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	bool handled;
	FILE *file = target_fopen(path, &handled);

	return handled ? file : __real_fopen(path, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
	bool handled;
	FILE *file = target_fopen(path, &handled);

	return handled ? file : __real_fopen64(path, mode);
}

/* The kernel config as a gz stream over an in-memory file (gzopen also
 * reads uncompressed text, and so does gzdopen). */
static gzFile open_target_kconfig(const char *mode)
{
	size_t off = 0, len = active->kconfig ? active->kconfig_len : 0;
	gzFile file;
	int fd;

	fd = memfd_create("lskel-kconfig", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	while (off < len) {
		ssize_t n = write(fd, active->kconfig + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return NULL;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return NULL;
	}
	file = gzdopen(fd, mode);
	if (!file)
		close(fd);
	return file;
}

/* Like target_fopen, for zlib's opens. */
static gzFile target_gzopen(const char *path, const char *mode, bool *handled)
{
	*handled = active != NULL;
	if (!active)
		return NULL;
	if (has_prefix(path, "/boot/config-") || strcmp(path, "/proc/config.gz") == 0)
		return open_target_kconfig(mode);
	if (is_host_state_path(path)) {
		errno = ENOENT;
		return NULL;
	}
	*handled = false;
	return NULL;
}

gzFile __wrap_gzopen(const char *path, const char *mode)
{
	bool handled;
	gzFile file = target_gzopen(path, mode, &handled);

	return handled ? file : __real_gzopen(path, mode);
}

gzFile __wrap_gzopen64(const char *path, const char *mode)
{
	bool handled;
	gzFile file = target_gzopen(path, mode, &handled);

	return handled ? file : __real_gzopen64(path, mode);
}

long __wrap_sysconf(int name)
{
	if (active && name == _SC_PAGESIZE)
		return active->page_size;
	return __real_sysconf(name);
}

int __wrap_getpagesize(void)
{
	if (active)
		return (int)active->page_size;
	return __real_getpagesize();
}

void __wrap_bpf_gen__init(struct bpf_gen *gen, int log_level, int nr_progs, int nr_maps)
{
	loader_nr_progs = nr_progs;
	__real_bpf_gen__init(gen, log_level, nr_progs, nr_maps);
}
