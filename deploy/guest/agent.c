/* lskel guest agent: PID 1's child in a verification VM (see deploy/build-guest).
 *
 * It reads loader jobs from its virtio-console port (/dev/vport*p1, the serial
 * port /dev/ttyS1 where there is none) and answers
 * each with one JSON object. A job is run in a forked child exactly as a
 * `.lskel.h` user runs a light skeleton: bpf_load_and_run() from libbpf's
 * skel_internal.h with a zeroed skeleton context of the loader's ctx_size; then,
 * for comparison, plain libbpf on the same object in the same kernel
 * (bpf_object__open_mem + bpf_object__load). The child exits after the job, so
 * every program and map it created is closed before the next job.
 *
 * Frames (little-endian u32 lengths):
 *   guest -> host, once:  "LSKR" len release
 *   host -> guest:        "LSKJ" len action ctx_size insns_len data_len object_len kconfig_len
 *                         signature_len certificate_len excl_hash_len kernel_checks_data
 *                         insns data object kconfig signature certificate excl_hash
 * A job with a signature is a signed loader: its certificate (DER) is added to a
 * fresh session keyring of the job's process, and the loader is loaded with
 * lskel's signed runtime (Sources/LskelSign/signed_runtime.h, the code a signed
 * .lskel.h carries) instead of bpf_load_and_run().
 * kconfig is the kernel's config text, written to /boot/config-RELEASE where
 * plain libbpf looks for it on a Debian system (Debian's kernels have no
 * /proc/config.gz).
 *   guest -> host:        "LSKA" len json
 * Actions: 0 run; test-only (the host sends them only when told to):
 *   1 spin forever, 2 panic the kernel (sysrq c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/skel_internal.h>
#include <sys/syscall.h>

#include "signed_runtime.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* What a signed job carries besides the loader. */
struct signed_job {
	const char *signature;
	uint32_t signature_len;
	const char *certificate;
	uint32_t certificate_len;
	const char *excl_hash;
	uint32_t excl_hash_len;
	uint32_t kernel_checks_data;
};

#define LOG_BYTES (1 << 20)
#define EXCERPT_BYTES 3000
#define MAX_JOB_BYTES (64u << 20)

static int port = -1;

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void send_frame(const char magic[4], const char *body, uint32_t len)
{
	char head[8];
	memcpy(head, magic, 4);
	memcpy(head + 4, &len, 4);
	write_all(port, head, 8);
	write_all(port, body, len);
	tcdrain(port);
}

/* A growing text buffer. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *grown = realloc(t->buf, cap);
		if (!grown)
			return;
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

static void text_json_string(struct text *t, const char *s, size_t n)
{
	char esc[8];
	text_add(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			text_add(t, esc, 2);
		} else if (c == '\n') {
			text_add(t, "\\n", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			text_add(t, esc, 6);
		} else {
			text_add(t, (const char *)&c, 1);
		}
	}
	text_add(t, "\"", 1);
}

/* The last `max` bytes of a log, from a line start. */
static const char *excerpt(const char *log, size_t len, size_t max, size_t *out_len)
{
	if (len <= max) {
		*out_len = len;
		return log;
	}
	const char *start = log + len - max;
	const char *nl = memchr(start, '\n', max);
	if (nl)
		start = nl + 1;
	*out_len = log + len - start;
	return start;
}

static struct text libbpf_log;

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char line[1024];
	int n;
	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, args);
	if (n > 0)
		text_add(&libbpf_log, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	return 0;
}

/* Runs one job in this (forked) process and writes its JSON to `out`. */
static void run_job(int out, uint32_t ctx_size, const char *insns, uint32_t insns_len, const char *data,
		    uint32_t data_len, const char *object, uint32_t object_len, const char *kconfig,
		    const struct signed_job *signed_job)
{
	struct text answer = { 0 };
	char *log = calloc(1, LOG_BYTES);
	struct bpf_loader_ctx *ctx;
	struct bpf_load_and_run_opts opts = { 0 };
	struct bpf_object *obj;
	size_t n;
	int err, loader_err = 0, libbpf_err = 0;
	char number[64];

	if (ctx_size < sizeof(*ctx))
		ctx_size = sizeof(*ctx);
	ctx = calloc(1, ctx_size);
	ctx->sz = ctx_size;
	ctx->log_level = 1;
	ctx->log_size = LOG_BYTES;
	ctx->log_buf = (uintptr_t)log;
	opts.ctx = ctx;
	opts.insns = insns;
	opts.insns_sz = insns_len;
	opts.data = data;
	opts.data_sz = data_len;
	if (signed_job) {
		/* The certificate in a session keyring of this job's own, where the loader expects it. */
		struct lskel_signed_load_opts signed_opts = {
			.ctx = ctx, .data = data, .insns = insns, .data_sz = data_len, .insns_sz = insns_len,
			.signature = signed_job->signature, .signature_sz = signed_job->signature_len,
			.keyring_id = KEY_SPEC_SESSION_KEYRING,
			.excl_prog_hash = signed_job->excl_hash, .excl_prog_hash_sz = signed_job->excl_hash_len,
			.kernel_checks_data = signed_job->kernel_checks_data,
		};
		err = 0;
		if (syscall(__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 ||
		    (signed_job->certificate_len &&
		     syscall(__NR_add_key, "asymmetric", "lskel-job", signed_job->certificate,
			     (size_t)signed_job->certificate_len, KEY_SPEC_SESSION_KEYRING) < 0)) {
			err = -errno;
			opts.errstr = "cannot add the certificate to a session keyring";
		} else {
			err = lskel_signed_load_and_run(&signed_opts);
			opts.errstr = signed_opts.errstr;
		}
	} else {
		err = bpf_load_and_run(&opts);
	}
	if (err < 0)
		loader_err = err;

	text_add(&answer, "{\"loader\":", 10);
	text_add(&answer, loader_err ? "\"rejected\"" : "\"loads\"", loader_err ? 10 : 7);
	snprintf(number, sizeof(number), ",\"loader_errno\":%d", -loader_err);
	text_add(&answer, number, strlen(number));
	text_add(&answer, ",\"loader_error\":", 16);
	text_json_string(&answer, opts.errstr ? opts.errstr : "", opts.errstr ? strlen(opts.errstr) : 0);
	text_add(&answer, ",\"loader_log\":", 14);
	const char *cut = excerpt(log, strnlen(log, LOG_BYTES), EXCERPT_BYTES, &n);
	text_json_string(&answer, cut, loader_err ? n : 0);

	libbpf_set_print(capture_libbpf);
	if (kconfig) {
		struct utsname name;
		char path[128];
		uname(&name);
		mkdir("/boot", 0755);
		snprintf(path, sizeof(path), "/boot/config-%s", name.release);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			write_all(fd, kconfig, strlen(kconfig));
			close(fd);
		}
	}
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = "object");
	obj = bpf_object__open_mem(object, object_len, &open_opts);
	libbpf_err = libbpf_get_error(obj);
	if (!libbpf_err) {
		libbpf_err = bpf_object__load(obj);
		bpf_object__close(obj);
	}
	text_add(&answer, ",\"libbpf\":", 10);
	text_add(&answer, libbpf_err ? "\"rejected\"" : "\"loads\"", libbpf_err ? 10 : 7);
	snprintf(number, sizeof(number), ",\"libbpf_errno\":%d", libbpf_err < 0 ? -libbpf_err : libbpf_err);
	text_add(&answer, number, strlen(number));
	text_add(&answer, ",\"libbpf_log\":", 14);
	cut = excerpt(libbpf_log.buf ? libbpf_log.buf : "", libbpf_log.len, EXCERPT_BYTES, &n);
	text_json_string(&answer, cut, libbpf_err ? n : 0);
	text_add(&answer, "}", 1);
	write_all(out, answer.buf, answer.len);
}

int main(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct termios raw;
	struct utsname name;

	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	mount("bpffs", "/sys/fs/bpf", "bpf", 0, NULL);
	for (int i = 0; i < 4 && port < 0; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/dev/vport%dp1", i);
		port = open(path, O_RDWR | O_NOCTTY);
	}
	if (port < 0)
		port = open("/dev/ttyS1", O_RDWR | O_NOCTTY);
	if (port < 0) {
		perror("lskel-agent: no virtio-console port and no /dev/ttyS1");
		return 1;
	}
	tcgetattr(port, &raw);
	cfmakeraw(&raw);
	raw.c_cflag &= ~CRTSCTS;
	cfsetispeed(&raw, B4000000);
	cfsetospeed(&raw, B4000000);
	tcsetattr(port, TCSANOW, &raw);
	uname(&name);
	send_frame("LSKR", name.release, strlen(name.release));

	for (;;) {
		char head[8];
		uint32_t len, fields[10];
		char *body;
		int pipefd[2];
		pid_t child;
		struct text answer = { 0 };
		char chunk[4096];
		ssize_t got;
		int status;

		if (read_all(port, head, 8) < 0 || memcmp(head, "LSKJ", 4) != 0)
			continue;
		memcpy(&len, head + 4, 4);
		if (len < sizeof(fields) || len > MAX_JOB_BYTES)
			continue;
		body = malloc(len);
		if (!body || read_all(port, body, len) < 0) {
			free(body);
			continue;
		}
		memcpy(fields, body, sizeof(fields));
		uint64_t need = (uint64_t)sizeof(fields) + fields[2] + fields[3] + fields[4] + fields[5] +
				fields[6] + fields[7] + fields[8];
		if (need != len) {
			const char *bad = "{\"error\":\"malformed job frame\"}";
			send_frame("LSKA", bad, strlen(bad));
			free(body);
			continue;
		}
		if (pipe(pipefd) < 0)
			return 1;
		child = fork();
		if (child == 0) {
			close(pipefd[0]);
			if (fields[0] == 1)
				for (;;)
					;
			if (fields[0] == 2) {
				int sysrq = open("/proc/sysrq-trigger", O_WRONLY);
				write(sysrq, "c", 1);
			}
			const char *insns = body + sizeof(fields);
			char *kconfig = NULL;
			if (fields[5]) {
				kconfig = calloc(1, fields[5] + 1);
				memcpy(kconfig, insns + fields[2] + fields[3] + fields[4], fields[5]);
			}
			const char *signature = insns + fields[2] + fields[3] + fields[4] + fields[5];
			struct signed_job signed_job = {
				.signature = signature, .signature_len = fields[6],
				.certificate = signature + fields[6], .certificate_len = fields[7],
				.excl_hash = signature + fields[6] + fields[7], .excl_hash_len = fields[8],
				.kernel_checks_data = fields[9],
			};
			run_job(pipefd[1], fields[1], insns, fields[2], insns + fields[2], fields[3],
				insns + fields[2] + fields[3], fields[4], kconfig, fields[6] ? &signed_job : NULL);
			_exit(0);
		}
		close(pipefd[1]);
		while ((got = read(pipefd[0], chunk, sizeof(chunk))) > 0)
			text_add(&answer, chunk, got);
		close(pipefd[0]);
		waitpid(child, &status, 0);
		if (!answer.len) {
			snprintf(chunk, sizeof(chunk), "{\"error\":\"the job process ended with status %d\"}", status);
			text_add(&answer, chunk, strlen(chunk));
		}
		send_frame("LSKA", answer.buf, answer.len);
		free(answer.buf);
		free(body);
	}
}
