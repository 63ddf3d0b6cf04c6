/* libbpf log capture and BTF dumping into memory buffers. */
#include "lskel_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <zlib.h>
#include <fcntl.h>
#include <unistd.h>

static bool buf_reserve(struct lskel_buf *buf, size_t extra)
{
	size_t want = buf->len + extra + 1, cap = buf->cap ? buf->cap : 256;
	char *data;

	if (want <= buf->cap)
		return true;
	while (cap < want)
		cap *= 2;
	data = realloc(buf->data, cap);
	if (!data)
		return false;
	buf->data = data;
	buf->cap = cap;
	return true;
}

/* Formats straight into the room left, and only when the text does not fit
 * grows the buffer and formats again: one formatting of most of libbpf's
 * hundreds of messages instead of a measuring pass and a writing pass. */
static void buf_vappend(struct lskel_buf *buf, const char *fmt, va_list args)
{
	va_list copy;
	size_t room;
	int n;

	if (!buf_reserve(buf, 255))
		return;
	room = buf->cap - buf->len;
	va_copy(copy, args);
	n = vsnprintf(buf->data + buf->len, room, fmt, copy);
	va_end(copy);
	if (n < 0) {
		buf->data[buf->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		if (!buf_reserve(buf, (size_t)n)) {
			buf->data[buf->len] = '\0';
			return;
		}
		vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, args);
	}
	buf->len += (size_t)n;
}

static void buf_append(struct lskel_buf *buf, const char *text)
{
	size_t n = strlen(text);

	if (!buf_reserve(buf, n))
		return;
	memcpy(buf->data + buf->len, text, n + 1);
	buf->len += n;
}

void lskel_buf_free(struct lskel_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

static struct lskel_buf *log_buf;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!log_buf)
		return 0;
	switch (level) {
	case LIBBPF_WARN:
		buf_append(log_buf, "W ");
		break;
	case LIBBPF_INFO:
		buf_append(log_buf, "I ");
		break;
	default:
		buf_append(log_buf, "D ");
		break;
	}
	buf_vappend(log_buf, fmt, args);
	if (log_buf->len == 0 || log_buf->data[log_buf->len - 1] != '\n')
		buf_append(log_buf, "\n");
	return 0;
}

void lskel_log_capture_begin(struct lskel_buf *buf)
{
	log_buf = buf;
	libbpf_set_print(capture_print);
}

void lskel_log_capture_end(void)
{
	libbpf_set_print(capture_print);
	log_buf = NULL;
}

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	buf_vappend(ctx, fmt, args);
}

struct btf_dump *lskel_btf_dump_new(const struct btf *btf, struct lskel_buf *out)
{
	return btf_dump__new(btf, dump_printf, out, NULL);
}

int lskel_btf_dump_emit_decl(struct btf_dump *d, __u32 type_id, const char *field_name,
			     int indent_level, bool strip_mods)
{
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts,
		.field_name = field_name,
		.indent_level = indent_level,
		.strip_mods = strip_mods,
	);

	return btf_dump__emit_type_decl(d, type_id, &opts);
}

int lskel_read_maybe_gz(const char *path, size_t max_len, struct lskel_buf *out)
{
	char chunk[16384];
	gzFile file;
	int n;

	file = gzopen(path, "r");
	if (!file)
		return errno ? -errno : -ENOENT;
	while ((n = gzread(file, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max_len) {
			gzclose(file);
			return -EFBIG;
		}
		if (!buf_reserve(out, (size_t)n)) {
			gzclose(file);
			return -ENOMEM;
		}
		memcpy(out->data + out->len, chunk, (size_t)n);
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	gzclose(file);
	return n < 0 ? -EIO : 0;
}

/* See lskel_host.h. The file is read whole; a gzip file is inflated in one
 * call straight into the caller's buffer (no window, no growing buffer). */
int lskel_text_open(const char *path, size_t max_len, struct lskel_text *text)
{
	size_t cap = 1 << 16;
	int fd, err = 0;

	memset(text, 0, sizeof(*text));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	text->raw = malloc(cap);
	while (text->raw) {
		ssize_t n;

		if (text->raw_len == cap) {
			unsigned char *bigger = cap >= max_len ? NULL : realloc(text->raw, cap * 2);

			if (!bigger) {
				err = cap >= max_len ? -EFBIG : -ENOMEM;
				break;
			}
			text->raw = bigger;
			cap *= 2;
		}
		n = read(fd, text->raw + text->raw_len, cap - text->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		text->raw_len += (size_t)n;
	}
	close(fd);
	if (!text->raw)
		return -ENOMEM;
	if (err)
		return err;
	text->gz = text->raw_len >= 18 && text->raw[0] == 0x1f && text->raw[1] == 0x8b;
	if (text->gz) {
		const unsigned char *trailer = text->raw + text->raw_len - 4;

		text->size = (size_t)trailer[0] | (size_t)trailer[1] << 8 | (size_t)trailer[2] << 16 | (size_t)trailer[3] << 24;
	} else {
		text->size = text->raw_len;
	}
	return text->size > max_len ? -EFBIG : 0;
}

int lskel_text_fill(struct lskel_text *text, char *dest)
{
	z_stream stream = { 0 };
	int ret;

	if (!text->gz) {
		if (text->size)
			memcpy(dest, text->raw, text->size);
		return 0;
	}
	if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	stream.next_in = text->raw;
	stream.avail_in = (uInt)text->raw_len;
	stream.next_out = (unsigned char *)dest;
	stream.avail_out = (uInt)text->size;
	ret = inflate(&stream, Z_FINISH);
	/* One member of exactly the trailer's size, and nothing after it. */
	if (ret != Z_STREAM_END || stream.total_out != text->size || stream.avail_in != 0)
		ret = -EAGAIN;
	else
		ret = 0;
	inflateEnd(&stream);
	return ret;
}

void lskel_text_close(struct lskel_text *text)
{
	free(text->raw);
	memset(text, 0, sizeof(*text));
}
