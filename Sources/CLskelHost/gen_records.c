/*
 * Recording of what libbpf asks the loader generator to emit. libbpf.o calls
 * these gen_loader.o functions; --wrap binds the calls here, we keep a copy
 * of the arguments, then forward to libbpf's own implementation.
 */
#include "lskel_host.h"

#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

struct bpf_gen;
struct bpf_core_relo;

void __real_bpf_gen__prog_load(struct bpf_gen *gen, enum bpf_prog_type prog_type, const char *prog_name,
			       const char *license, struct bpf_insn *insns, size_t insn_cnt,
			       struct bpf_prog_load_opts *load_attr, int prog_idx);
void __real_bpf_gen__record_extern(struct bpf_gen *gen, const char *name, bool is_weak,
				   bool is_typeless, int kind, int insn_idx);
void __real_bpf_gen__record_relo_core(struct bpf_gen *gen, const struct bpf_core_relo *core_relo);
void __real_bpf_gen__record_attach_target(struct bpf_gen *gen, const char *name, enum bpf_attach_type type);

/* The layout of struct bpf_core_relo in linux/bpf.h. */
struct core_relo_record {
	__u32 insn_off;
	__u32 type_id;
	__u32 access_str_off;
	__u32 kind;
};

static struct lskel_gen_prog *progs;
static size_t prog_cnt, prog_cap;
static struct lskel_gen_relo *relos;
static size_t relo_cnt, relo_cap;
static size_t pending_start;	/* first relocation not yet owned by a program */
static char *pending_target;
static __u32 pending_target_type;

static bool grow(void **items, size_t *cap, size_t cnt, size_t size)
{
	size_t new_cap;
	void *p;

	if (cnt < *cap)
		return true;
	new_cap = *cap ? *cap * 2 : 16;
	p = realloc(*items, new_cap * size);
	if (!p)
		return false;
	*items = p;
	*cap = new_cap;
	return true;
}

void lskel_gen_records_reset(void)
{
	size_t i;

	for (i = 0; i < prog_cnt; i++) {
		free(progs[i].name);
		free(progs[i].attach_target);
		free(progs[i].insns);
	}
	for (i = 0; i < relo_cnt; i++)
		free(relos[i].name);
	free(progs);
	free(relos);
	free(pending_target);
	progs = NULL;
	relos = NULL;
	pending_target = NULL;
	prog_cnt = prog_cap = relo_cnt = relo_cap = pending_start = 0;
}

size_t lskel_gen_prog_record_cnt(void) { return prog_cnt; }
const struct lskel_gen_prog *lskel_gen_prog_at(size_t index) { return index < prog_cnt ? &progs[index] : NULL; }
const struct lskel_gen_relo *lskel_gen_relo_at(size_t index) { return index < relo_cnt ? &relos[index] : NULL; }

static struct lskel_gen_relo *new_relo(void)
{
	if (!grow((void **)&relos, &relo_cap, relo_cnt, sizeof(*relos)))
		return NULL;
	memset(&relos[relo_cnt], 0, sizeof(*relos));
	return &relos[relo_cnt++];
}

void __wrap_bpf_gen__record_relo_core(struct bpf_gen *gen, const struct bpf_core_relo *core_relo)
{
	const struct core_relo_record *record = (const void *)core_relo;
	struct lskel_gen_relo *relo = new_relo();

	if (relo) {
		relo->kind = LSKEL_GEN_RELO_CORE;
		relo->insn_idx = record->insn_off / 8;
		relo->type_id = record->type_id;
		relo->access_str_off = record->access_str_off;
		relo->core_kind = record->kind;
	}
	__real_bpf_gen__record_relo_core(gen, core_relo);
}

void __wrap_bpf_gen__record_extern(struct bpf_gen *gen, const char *name, bool is_weak,
				   bool is_typeless, int kind, int insn_idx)
{
	struct lskel_gen_relo *relo = new_relo();

	if (relo) {
		relo->kind = LSKEL_GEN_RELO_EXTERN;
		relo->insn_idx = (__u32)insn_idx;
		relo->name = name ? strdup(name) : NULL;
		relo->is_weak = is_weak;
		relo->is_typeless = is_typeless;
		relo->btf_kind = kind;
	}
	__real_bpf_gen__record_extern(gen, name, is_weak, is_typeless, kind, insn_idx);
}

void __wrap_bpf_gen__record_attach_target(struct bpf_gen *gen, const char *name, enum bpf_attach_type type)
{
	free(pending_target);
	pending_target = name ? strdup(name) : NULL;
	pending_target_type = type;
	__real_bpf_gen__record_attach_target(gen, name, type);
}

void __wrap_bpf_gen__prog_load(struct bpf_gen *gen, enum bpf_prog_type prog_type, const char *prog_name,
			       const char *license, struct bpf_insn *insns, size_t insn_cnt,
			       struct bpf_prog_load_opts *load_attr, int prog_idx)
{
	struct lskel_gen_prog *prog;

	if (grow((void **)&progs, &prog_cap, prog_cnt, sizeof(*progs))) {
		prog = &progs[prog_cnt++];
		memset(prog, 0, sizeof(*prog));
		prog->name = prog_name ? strdup(prog_name) : NULL;
		prog->prog_idx = prog_idx;
		prog->prog_type = prog_type;
		prog->expected_attach_type = load_attr->expected_attach_type;
		prog->attach_btf_id = load_attr->attach_btf_id;
		prog->func_info_cnt = load_attr->func_info_cnt;
		prog->line_info_cnt = load_attr->line_info_cnt;
		prog->kern_version = load_attr->kern_version;
		prog->attach_target = pending_target;
		prog->attach_target_type = pending_target_type;
		pending_target = NULL;
		prog->insns = malloc(insn_cnt * sizeof(*insns));
		if (prog->insns) {
			memcpy(prog->insns, insns, insn_cnt * sizeof(*insns));
			prog->insn_cnt = insn_cnt;
		}
		prog->relo_start = pending_start;
		prog->relo_cnt = relo_cnt - pending_start;
		pending_start = relo_cnt;
	}
	__real_bpf_gen__prog_load(gen, prog_type, prog_name, license, insns, insn_cnt, load_attr, prog_idx);
}
