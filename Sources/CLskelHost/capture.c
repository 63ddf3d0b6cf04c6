/* libbpf log capture and BTF dumping into memory buffers. */
#include "lskel_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <zlib.h>

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

static void buf_vappend(struct lskel_buf *buf, const char *fmt, va_list args)
{
	va_list copy;
	int n;

	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || !buf_reserve(buf, (size_t)n))
		return;
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, args);
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

/* A whole gzip file in memory inflated in one call into a buffer of the size
 * its trailer gives (ISIZE): no window, no growing buffer, one pass. 1 when
 * done; 0 when the file is not one gzip member of that size (the streaming
 * reader below then handles it); -errno on failure. */
static int inflate_whole(const unsigned char *gz, size_t gz_len, size_t max_len, struct lskel_buf *out)
{
	z_stream stream = { 0 };
	size_t size;
	int ret;

	if (out->len != 0 || gz_len < 18 || gz[0] != 0x1f || gz[1] != 0x8b)
		return 0;
	size = (size_t)gz[gz_len - 4] | (size_t)gz[gz_len - 3] << 8 | (size_t)gz[gz_len - 2] << 16 |
	       (size_t)gz[gz_len - 1] << 24;
	if (size > max_len)
		return 0;
	if (!buf_reserve(out, size))
		return -ENOMEM;
	if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
		return 0;
	stream.next_in = (unsigned char *)gz;
	stream.avail_in = (uInt)gz_len;
	stream.next_out = (unsigned char *)out->data;
	stream.avail_out = (uInt)size + 1;
	ret = inflate(&stream, Z_FINISH);
	if (ret != Z_STREAM_END || stream.total_out != size || stream.avail_in != 0) {
		inflateEnd(&stream);
		return 0;
	}
	inflateEnd(&stream);
	out->len = size;
	out->data[size] = '\0';
	return 1;
}

int lskel_read_maybe_gz(const char *path, size_t max_len, struct lskel_buf *out)
{
	char chunk[16384];
	gzFile file;
	int n;

	/* A small compressed file (/proc/config.gz is 20-60 KB) is read whole and
	 * inflated in one call: the streaming reader's window, chunk copies and
	 * doubling buffer were most of reading the host's config. */
	{
		FILE *whole = fopen(path, "rb");
		unsigned char *gz;
		size_t gz_len = 0;

		if (whole) {
			gz = malloc(1 << 20);
			if (gz) {
				gz_len = fread(gz, 1, 1 << 20, whole);
				if (gz_len > 0 && gz_len < (1 << 20) && !ferror(whole)) {
					int done = inflate_whole(gz, gz_len, max_len, out);

					if (done != 0) {
						free(gz);
						fclose(whole);
						return done < 0 ? done : 0;
					}
				}
				free(gz);
			}
			fclose(whole);
		}
	}

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
