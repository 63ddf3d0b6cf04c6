/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rt_common.h - small shared definitions for the rt_*.bpf.c fixtures, the
 * kind a real tool keeps in its own "<tool>.h" / "maps.bpf.h" / "bits.bpf.h":
 * constants vmlinux.h does not carry (they are #defines in the UAPI
 * headers), a log2 histogram helper and a lookup-or-init helper.
 */
#ifndef __RT_COMMON_H
#define __RT_COMMON_H

#define RT_AF_INET		2
#define RT_AF_INET6		10
#define RT_ETH_P_IP		0x0800
#define RT_ETH_P_IPV6		0x86DD
#define RT_ETH_HLEN		14
#define RT_TC_ACT_OK		0
#define RT_TC_ACT_SHOT		2
#define RT_TC_ACT_REDIRECT	7
#define RT_PERF_MAX_STACK_DEPTH	127
#define RT_MAX_SLOTS		27
#define RT_NAME_MAX		255
#define RT_PATH_MAX		4096
#define RT_EPERM		1
#define RT_ENOENT		2
#define RT_EACCES		13

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC		1000000000ULL
#endif
#define NSEC_PER_USEC		1000ULL

struct rt_hist {
	__u32 slots[RT_MAX_SLOTS];
	char comm[16];
};

/* log2 of a 32/64-bit value, as libbpf-tools' bits.bpf.h computes it. */
static __always_inline __u64 rt_log2(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 rt_log2l(__u64 v)
{
	__u32 hi = v >> 32;

	if (hi)
		return rt_log2(hi) + 32;
	return rt_log2(v);
}

/* Look a key up, inserting `init` first when it is missing (maps.bpf.h). */
static __always_inline void *rt_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val;
	long err;

	val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		return 0;
	return bpf_map_lookup_elem(map, key);
}

#endif /* __RT_COMMON_H */
