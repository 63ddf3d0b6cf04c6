// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * globals.bpf.c - global variables in every data section flavour.
 *
 * Covers: .data, .rodata (const volatile), .bss, a custom ".data.custom"
 * and a custom ".rodata.custom" section; in them an int, a u64, an array,
 * a struct, a char string, a pointer-sized value, and a function-static
 * variable. Initial values are non-zero so they show up in the section
 * images embedded in the skeleton.
 * One kprobe program (BPF_KPROBE on do_unlinkat) reads all of them and
 * writes the writable ones.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/*
 * Anonymous struct type on purpose: bpftool copies an anonymous type's full
 * definition into the skeleton, whereas a named "struct point" would only be
 * referenced by name and the generated header would not compile on its own.
 */
#define POINT struct { __s32 x; __s32 y; __u64 tag; }

/* .data */
int data_int = 42;
__u64 data_u64 = 0x1122334455667788ULL;
__u32 data_array[4] = { 1, 2, 3, 4 };
POINT data_struct = { .x = -1, .y = 2, .tag = 0xabcdef };
char data_str[16] = "hello data";
void *data_ptr = (void *)0x1000;

/* .rodata */
const volatile int ro_int = 7;
const volatile __u64 ro_u64 = 0xfeedfacecafebeefULL;
const volatile __u32 ro_array[3] = { 10, 20, 30 };
const volatile POINT ro_struct = { .x = 3, .y = -4, .tag = 99 };
const volatile char ro_str[12] = "hello ro";
const volatile unsigned long ro_ptr_sized = 0xdeadbeefUL;

/* .bss */
int bss_int;
__u64 bss_u64;
__u32 bss_array[8];
POINT bss_struct;
char bss_str[16];
unsigned long bss_ptr_sized;

/* custom writable section -> its own ".data.custom" map */
int custom_int SEC(".data.custom") = 1234;
__u64 custom_u64 SEC(".data.custom") = 0x5555aaaa5555aaaaULL;
char custom_str[8] SEC(".data.custom") = "custom";

/* custom read-only section -> its own ".rodata.custom" map */
const volatile int ro_custom_int SEC(".rodata.custom") = 4321;
const volatile __u32 ro_custom_array[2] SEC(".rodata.custom") = { 0x11, 0x22 };

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(trace_unlinkat, int dfd, struct filename *name)
{
	/* function-static variable, initialised (lands in .data) */
	static __u32 calls = 100;
	int i;

	calls++;

	bss_int = data_int + ro_int + custom_int + ro_custom_int + dfd;
	bss_u64 = data_u64 ^ ro_u64 ^ custom_u64;
	for (i = 0; i < 3; i++)
		bss_array[i] = data_array[i] + ro_array[i];
	bss_array[3] = ro_custom_array[0] + ro_custom_array[1];
	bss_array[4] = calls;

	bss_struct.x = data_struct.x + ro_struct.x;
	bss_struct.y = data_struct.y + ro_struct.y;
	bss_struct.tag = data_struct.tag + ro_struct.tag;

	bss_str[0] = data_str[0];
	bss_str[1] = ro_str[0];
	bss_str[2] = custom_str[0];
	bss_ptr_sized = (unsigned long)data_ptr + ro_ptr_sized + (unsigned long)name;

	data_int++;
	data_u64 += 2;
	data_array[0] = bss_array[0];
	data_struct.tag = bss_u64;
	data_str[0] = 'H';
	data_ptr = (void *)bss_ptr_sized;
	custom_int++;
	custom_u64 = bss_u64;
	custom_str[0] = 'C';
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
