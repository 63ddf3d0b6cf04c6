#ifndef LSKEL_CLIBBPF_SHIM_H
#define LSKEL_CLIBBPF_SHIM_H
/* libbpf's public API as shipped by libbpf-dev. Linking is done by CLskelHost. */
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#endif
