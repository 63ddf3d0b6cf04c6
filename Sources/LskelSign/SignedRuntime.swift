/// The loader runtime a signed `.lskel.h` carries (see ``SignedHeader``): the text
/// of `Sources/LskelSign/signed_runtime.h`, which the guest agent compiles too. A
/// test keeps the two the same.
public enum SignedRuntime {
    public static let source = #"""
/* lskel's loader runtime for signed light skeletons (Linux 6.18 and later).
 * Debian 12's <bpf/skel_internal.h> cannot pass a signature, a keyring or an
 * exclusive map's program hash, so a signed skeleton carries this instead of
 * calling bpf_load_and_run(). The attribute offsets are the kernel's UAPI
 * (include/uapi/linux/bpf.h, 6.18), written out so that older headers do. */
#ifndef LSKEL_SIGNED_RUNTIME_H
#define LSKEL_SIGNED_RUNTIME_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef KEY_SPEC_SESSION_KEYRING
#define KEY_SPEC_SESSION_KEYRING -3
#endif

/* Commands and values. */
#define LSKEL_BPF_MAP_CREATE 0
#define LSKEL_BPF_MAP_UPDATE_ELEM 2
#define LSKEL_BPF_PROG_LOAD 5
#define LSKEL_BPF_PROG_TEST_RUN 10
#define LSKEL_BPF_OBJ_GET_INFO_BY_FD 15
#define LSKEL_BPF_MAP_FREEZE 22
#define LSKEL_BPF_MAP_TYPE_ARRAY 2
#define LSKEL_BPF_PROG_TYPE_SYSCALL 31
#define LSKEL_BPF_F_SLEEPABLE (1U << 4)

/* union bpf_attr, BPF_MAP_CREATE. */
#define LSKEL_MAP_CREATE_MAP_TYPE 0
#define LSKEL_MAP_CREATE_KEY_SIZE 4
#define LSKEL_MAP_CREATE_VALUE_SIZE 8
#define LSKEL_MAP_CREATE_MAX_ENTRIES 12
#define LSKEL_MAP_CREATE_MAP_NAME 28
#define LSKEL_MAP_CREATE_EXCL_PROG_HASH 80
#define LSKEL_MAP_CREATE_EXCL_PROG_HASH_SIZE 88
#define LSKEL_MAP_CREATE_SIZE 92
/* BPF_MAP_*_ELEM, BPF_MAP_FREEZE. */
#define LSKEL_MAP_ELEM_MAP_FD 0
#define LSKEL_MAP_ELEM_KEY 8
#define LSKEL_MAP_ELEM_VALUE 16
#define LSKEL_MAP_ELEM_FLAGS 24
#define LSKEL_MAP_ELEM_SIZE 32
#define LSKEL_MAP_FREEZE_SIZE 4
/* BPF_PROG_LOAD. */
#define LSKEL_PROG_LOAD_PROG_TYPE 0
#define LSKEL_PROG_LOAD_INSN_CNT 4
#define LSKEL_PROG_LOAD_INSNS 8
#define LSKEL_PROG_LOAD_LICENSE 16
#define LSKEL_PROG_LOAD_LOG_LEVEL 24
#define LSKEL_PROG_LOAD_LOG_SIZE 28
#define LSKEL_PROG_LOAD_LOG_BUF 32
#define LSKEL_PROG_LOAD_PROG_FLAGS 44
#define LSKEL_PROG_LOAD_PROG_NAME 48
#define LSKEL_PROG_LOAD_FD_ARRAY 120
#define LSKEL_PROG_LOAD_FD_ARRAY_CNT 148
#define LSKEL_PROG_LOAD_SIGNATURE 152
#define LSKEL_PROG_LOAD_SIGNATURE_SIZE 160
#define LSKEL_PROG_LOAD_KEYRING_ID 164
#define LSKEL_PROG_LOAD_SIZE 168
/* BPF_PROG_TEST_RUN. */
#define LSKEL_TEST_RUN_PROG_FD 0
#define LSKEL_TEST_RUN_RETVAL 4
#define LSKEL_TEST_RUN_CTX_SIZE_IN 40
#define LSKEL_TEST_RUN_CTX_IN 48
#define LSKEL_TEST_RUN_SIZE 80
/* BPF_OBJ_GET_INFO_BY_FD and struct bpf_map_info. */
#define LSKEL_INFO_BPF_FD 0
#define LSKEL_INFO_INFO_LEN 4
#define LSKEL_INFO_INFO 8
#define LSKEL_INFO_SIZE 16
#define LSKEL_MAP_INFO_HASH 88
#define LSKEL_MAP_INFO_HASH_SIZE 96
#define LSKEL_MAP_INFO_SIZE 104

/* What a signed skeleton's __load passes. Field names follow upstream
 * bpf_load_and_run_opts where it has the same thing. */
struct lskel_signed_load_opts {
	struct bpf_loader_ctx *ctx;
	const void *data;
	const void *insns;
	__u32 data_sz;
	__u32 insns_sz;
	const void *signature;
	__u32 signature_sz;
	__s32 keyring_id;
	const void *excl_prog_hash;
	__u32 excl_prog_hash_sz;
	/* 1: the kernel checks the data map too (kernel-hash): fd_array_cnt = 1 and no
	 * hash query; 0: the loader checks it (loader-hash). */
	__u32 kernel_checks_data;
	const char *errstr;
};

static inline void lskel_attr_u32(__u8 *attr, unsigned int offset, __u32 value)
{
	memcpy(attr + offset, &value, sizeof(value));
}

static inline void lskel_attr_u64(__u8 *attr, unsigned int offset, __u64 value)
{
	memcpy(attr + offset, &value, sizeof(value));
}

static inline int lskel_sys_bpf(int cmd, __u8 *attr, unsigned int size)
{
	return (int)syscall(__NR_bpf, cmd, attr, size);
}

/* The loader's data map: an exclusive array of one value, filled and frozen. */
static inline int lskel_loader_map(struct lskel_signed_load_opts *opts)
{
	__u8 attr[LSKEL_PROG_LOAD_SIZE];
	__u32 key = 0;
	int map_fd, err;

	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_MAP_CREATE_MAP_TYPE, LSKEL_BPF_MAP_TYPE_ARRAY);
	lskel_attr_u32(attr, LSKEL_MAP_CREATE_KEY_SIZE, 4);
	lskel_attr_u32(attr, LSKEL_MAP_CREATE_VALUE_SIZE, opts->data_sz);
	lskel_attr_u32(attr, LSKEL_MAP_CREATE_MAX_ENTRIES, 1);
	memcpy(attr + LSKEL_MAP_CREATE_MAP_NAME, "__loader.map", sizeof("__loader.map"));
	lskel_attr_u64(attr, LSKEL_MAP_CREATE_EXCL_PROG_HASH, (__u64)(unsigned long)opts->excl_prog_hash);
	lskel_attr_u32(attr, LSKEL_MAP_CREATE_EXCL_PROG_HASH_SIZE, opts->excl_prog_hash_sz);
	map_fd = lskel_sys_bpf(LSKEL_BPF_MAP_CREATE, attr, LSKEL_MAP_CREATE_SIZE);
	if (map_fd < 0) {
		opts->errstr = "failed to create the loader's exclusive map";
		return -errno;
	}
	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_MAP_ELEM_MAP_FD, (__u32)map_fd);
	lskel_attr_u64(attr, LSKEL_MAP_ELEM_KEY, (__u64)(unsigned long)&key);
	lskel_attr_u64(attr, LSKEL_MAP_ELEM_VALUE, (__u64)(unsigned long)opts->data);
	if (lskel_sys_bpf(LSKEL_BPF_MAP_UPDATE_ELEM, attr, LSKEL_MAP_ELEM_SIZE) < 0) {
		opts->errstr = "failed to fill the loader map";
		goto fail;
	}
	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_MAP_ELEM_MAP_FD, (__u32)map_fd);
	if (lskel_sys_bpf(LSKEL_BPF_MAP_FREEZE, attr, LSKEL_MAP_FREEZE_SIZE) < 0) {
		opts->errstr = "failed to freeze the loader map";
		goto fail;
	}
	return map_fd;
fail:
	err = -errno;
	close(map_fd);
	return err;
}

/* Asks for the map's SHA-256, which the kernel computes and keeps with the map
 * (the loader-hash check reads it from there). */
static inline int lskel_map_hash(int map_fd, __u8 hash[32])
{
	__u8 attr[LSKEL_INFO_SIZE], info[LSKEL_MAP_INFO_SIZE];

	memset(info, 0, sizeof(info));
	lskel_attr_u64(info, LSKEL_MAP_INFO_HASH, (__u64)(unsigned long)hash);
	lskel_attr_u32(info, LSKEL_MAP_INFO_HASH_SIZE, 32);
	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_INFO_BPF_FD, (__u32)map_fd);
	lskel_attr_u32(attr, LSKEL_INFO_INFO_LEN, sizeof(info));
	lskel_attr_u64(attr, LSKEL_INFO_INFO, (__u64)(unsigned long)info);
	return lskel_sys_bpf(LSKEL_BPF_OBJ_GET_INFO_BY_FD, attr, LSKEL_INFO_SIZE) < 0 ? -errno : 0;
}

/* Loads the signed loader program with the map in fd_array slot 0. */
static inline int lskel_loader_prog(struct lskel_signed_load_opts *opts, int *map_fd)
{
	__u8 attr[LSKEL_PROG_LOAD_SIZE];
	int prog_fd;

	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_PROG_TYPE, LSKEL_BPF_PROG_TYPE_SYSCALL);
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_INSN_CNT, opts->insns_sz / 8);
	lskel_attr_u64(attr, LSKEL_PROG_LOAD_INSNS, (__u64)(unsigned long)opts->insns);
	lskel_attr_u64(attr, LSKEL_PROG_LOAD_LICENSE, (__u64)(unsigned long)"Dual BSD/GPL");
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_LOG_LEVEL, opts->ctx->log_level);
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_LOG_SIZE, opts->ctx->log_size);
	lskel_attr_u64(attr, LSKEL_PROG_LOAD_LOG_BUF, opts->ctx->log_buf);
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_PROG_FLAGS, LSKEL_BPF_F_SLEEPABLE);
	memcpy(attr + LSKEL_PROG_LOAD_PROG_NAME, "__loader.prog", sizeof("__loader.prog"));
	lskel_attr_u64(attr, LSKEL_PROG_LOAD_FD_ARRAY, (__u64)(unsigned long)map_fd);
	if (opts->kernel_checks_data)
		lskel_attr_u32(attr, LSKEL_PROG_LOAD_FD_ARRAY_CNT, 1);
	lskel_attr_u64(attr, LSKEL_PROG_LOAD_SIGNATURE, (__u64)(unsigned long)opts->signature);
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_SIGNATURE_SIZE, opts->signature_sz);
	lskel_attr_u32(attr, LSKEL_PROG_LOAD_KEYRING_ID, (__u32)opts->keyring_id);
	prog_fd = lskel_sys_bpf(LSKEL_BPF_PROG_LOAD, attr, LSKEL_PROG_LOAD_SIZE);
	if (prog_fd < 0) {
		opts->errstr = errno == EOPNOTSUPP ? "this kernel cannot verify signatures"
			     : errno == EKEYREJECTED ? "the kernel rejected the loader's signature"
			     : errno == ENOKEY ? "no key in the keyring verifies the loader's signature"
			     : "failed to load the loader program";
		return -errno;
	}
	return prog_fd;
}

/* bpf_load_and_run() for a signed loader. */
static inline int lskel_signed_load_and_run(struct lskel_signed_load_opts *opts)
{
	__u8 attr[LSKEL_PROG_LOAD_SIZE], hash[32];
	int map_fd = -1, prog_fd = -1, err, retval;

	err = map_fd = lskel_loader_map(opts);
	if (map_fd < 0)
		goto out;
	if (!opts->kernel_checks_data) {
		err = lskel_map_hash(map_fd, hash);
		if (err < 0) {
			opts->errstr = "failed to get the loader map's hash";
			goto out;
		}
	}
	err = prog_fd = lskel_loader_prog(opts, &map_fd);
	if (prog_fd < 0)
		goto out;
	memset(attr, 0, sizeof(attr));
	lskel_attr_u32(attr, LSKEL_TEST_RUN_PROG_FD, (__u32)prog_fd);
	lskel_attr_u32(attr, LSKEL_TEST_RUN_CTX_SIZE_IN, opts->ctx->sz);
	lskel_attr_u64(attr, LSKEL_TEST_RUN_CTX_IN, (__u64)(unsigned long)opts->ctx);
	err = lskel_sys_bpf(LSKEL_BPF_PROG_TEST_RUN, attr, LSKEL_TEST_RUN_SIZE);
	if (err < 0) {
		opts->errstr = "failed to execute the loader program";
		err = -errno;
		goto out;
	}
	memcpy(&retval, attr + LSKEL_TEST_RUN_RETVAL, sizeof(retval));
	if (retval < 0) {
		opts->errstr = retval == -EINVAL ? "error returned by the loader program (its data map failed the signed hash check, or libbpf's loader failed)"
				 : "error returned by the loader program";
		err = retval;
		errno = -retval;
		goto out;
	}
	err = 0;
out:
	if (map_fd >= 0)
		close(map_fd);
	if (prog_fd >= 0)
		close(prog_fd);
	return err;
}

#endif /* LSKEL_SIGNED_RUNTIME_H */

"""#
}
