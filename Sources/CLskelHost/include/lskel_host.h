#ifndef LSKEL_HOST_H
#define LSKEL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>

/*
 * Host inputs libbpf reads while it generates a loader, supplied by the
 * request's target profile instead of the machine running the generator.
 *
 * While a target is active (between lskel_target_activate and
 * lskel_target_deactivate) libbpf sees:
 *   uname().release           -> kernel_release ("" makes it unparsable)
 *   /boot/config-*, config.gz -> kconfig text (empty when NULL)
 *   /proc/kallsyms            -> kallsyms text
 *   sysconf(_SC_PAGESIZE)     -> page_size
 * and every other open of /proc, /sys or /boot fails with ENOENT.
 * One target is active at a time: callers serialise generations.
 */
struct lskel_target {
	const char *kernel_release;
	const char *kconfig;
	size_t kconfig_len;
	const char *kallsyms;
	size_t kallsyms_len;
	long page_size;
};

void lskel_target_activate(const struct lskel_target *target);
void lskel_target_deactivate(void);

/* Programs (subprograms counted as libbpf counts them) libbpf told the loader
 * generator it would load (bpf_gen__init's nr_progs); -1 if not reached. */
int lskel_target_loader_nr_progs(void);

/*
 * What libbpf hands the loader generator for each program, recorded by
 * wrapping its calls into gen_loader: CO-RE relocations and ksym/kfunc
 * externs at their final instruction index, the attach target, and the
 * final (relocated, subprograms appended) instructions.
 */
enum lskel_gen_relo_kind {
	LSKEL_GEN_RELO_CORE = 0,
	LSKEL_GEN_RELO_EXTERN = 1,
};

struct lskel_gen_relo {
	enum lskel_gen_relo_kind kind;
	__u32 insn_idx;
	/* CO-RE */
	__u32 type_id;
	__u32 access_str_off;
	__u32 core_kind;
	/* externs */
	char *name;
	bool is_weak;
	bool is_typeless;
	int btf_kind;
};

struct lskel_gen_prog {
	char *name;
	int prog_idx;
	__u32 prog_type;
	__u32 expected_attach_type;
	__u32 attach_btf_id;
	__u32 func_info_cnt;
	__u32 line_info_cnt;
	__u32 kern_version;
	char *attach_target;	/* NULL when none was looked up */
	__u32 attach_target_type;
	void *insns;
	size_t insn_cnt;
	size_t relo_start;	/* index into the relocation records */
	size_t relo_cnt;
};

/* The program records captured from bpf_gen__prog_load, one per loaded program. */
size_t lskel_gen_prog_record_cnt(void);
const struct lskel_gen_prog *lskel_gen_prog_at(size_t index);
const struct lskel_gen_relo *lskel_gen_relo_at(size_t index);

/* A growable text buffer owned by C; free with lskel_buf_free. */
struct lskel_buf {
	char *data;
	size_t len;
	size_t cap;
};
void lskel_buf_free(struct lskel_buf *buf);

/* Capture every libbpf message into buf, one line per message prefixed by
 * its level letter ('W', 'I' or 'D') and a space. */
void lskel_log_capture_begin(struct lskel_buf *buf);
void lskel_log_capture_end(void);

/* A btf_dump whose output is appended to out. */
struct btf_dump *lskel_btf_dump_new(const struct btf *btf, struct lskel_buf *out);
int lskel_btf_dump_emit_decl(struct btf_dump *d, __u32 type_id, const char *field_name,
			     int indent_level, bool strip_mods);

/* Reads a whole file, gunzipping it when it is gzip-compressed (zlib's gzread
 * passes plain text through). Returns 0 or a negative errno. */
int lskel_read_maybe_gz(const char *path, size_t max_len, struct lskel_buf *out);

/* A whole text file, plain or gzip-compressed, read in two steps so the text
 * lands straight in its final buffer: lskel_text_open reads the file and sets
 * `size` (a gzip file's trailer size), lskel_text_fill writes exactly `size`
 * bytes to `dest` (-EAGAIN when a gzip file is not one member of that size:
 * read it with lskel_read_maybe_gz instead), lskel_text_close frees it. */
struct lskel_text {
	unsigned char *raw;
	size_t raw_len;
	size_t size;
	int gz;
};
int lskel_text_open(const char *path, size_t max_len, struct lskel_text *text);
int lskel_text_fill(struct lskel_text *text, char *dest);
void lskel_text_close(struct lskel_text *text);

#endif
