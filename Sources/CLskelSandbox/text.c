/* The fork server's code, moved from the executable's file mapping to
 * anonymous memory backed by huge pages before any job is forked.
 *
 * fork() does not copy the page-table entries of a file mapping that was
 * never written (they are cheap to fault back in, the kernel reasons), so
 * every job faulted the fork server's code in again, 16 pages at a time: about
 * ninety faults per job, most of a small object's fault time. Page tables of
 * anonymous memory are copied at fork, and a huge page is one entry, so a job
 * forked from a server whose code lives in huge pages starts with all of it
 * mapped. The copy is made writable, filled, made read-and-execute (never
 * both writable and executable), then moved over the original with one
 * mremap, which replaces the mapping atomically: the bytes at every address
 * stay the same, so code running in it, this function included, carries on.
 *
 * The program's code and its shared libraries' are copied this way, each on
 * its own. Profilers that name functions from the mapped file see anonymous
 * code after this; the worker's --no-text-copy keeps the file mapping. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE (2UL << 20)

#define MAX_RANGES 32

struct text_ranges {
	uintptr_t start[MAX_RANGES];
	uintptr_t end[MAX_RANGES];
	int count;
};

/* Every loaded object's executable PT_LOAD segments: the program's and its
 * shared libraries' (the vDSO, which has no file behind it, is left alone). */
static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	struct text_ranges *ranges = data;
	long page = sysconf(_SC_PAGESIZE);
	int i;
	(void)size;

	if (info->dlpi_name && strstr(info->dlpi_name, "linux-vdso"))
		return 0;
	for (i = 0; i < info->dlpi_phnum && ranges->count < MAX_RANGES; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
		uintptr_t start, end;

		if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X))
			continue;
		start = (info->dlpi_addr + segment->p_vaddr) & ~((uintptr_t)page - 1);
		end = (info->dlpi_addr + segment->p_vaddr + segment->p_memsz + page - 1) & ~((uintptr_t)page - 1);
		if (end <= start)
			continue;
		ranges->start[ranges->count] = start;
		ranges->end[ranges->count] = end;
		ranges->count++;
	}
	return 0;
}

/* One range copied to anonymous memory and moved over the original. */
static int copy_range(uintptr_t start, uintptr_t end)
{
	size_t length = end - start;
	uintptr_t raw, copy;

	/* Room to place the copy at the same offset within a huge page as the
	 * original, so that mremap can move whole huge pages. */
	raw = (uintptr_t)mmap(NULL, length + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)raw == MAP_FAILED)
		return -errno;
	copy = (raw & ~(HUGE_PAGE - 1)) + (start & (HUGE_PAGE - 1));
	if (copy < raw)
		copy += HUGE_PAGE;
	if (copy > raw)
		munmap((void *)raw, copy - raw);
	if (raw + length + HUGE_PAGE > copy + length)
		munmap((void *)(copy + length), raw + length + HUGE_PAGE - (copy + length));
	/* Huge pages where the kernel allows them; 4 KiB pages still copy their
	 * entries at fork. */
	(void)madvise((void *)copy, length, MADV_HUGEPAGE);
	memcpy((void *)copy, (const void *)start, length);
	if (mprotect((void *)copy, length, PROT_READ | PROT_EXEC) != 0 ||
	    mremap((void *)copy, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start) == MAP_FAILED) {
		int err = errno;

		munmap((void *)copy, length);
		return -err;
	}
	return 0;
}

int lskel_worker_copy_text_to_huge_pages(void)
{
	struct text_ranges ranges = { 0 };
	int i, err = 0;

	dl_iterate_phdr(find_text, &ranges);
	if (ranges.count == 0)
		return -ENOENT;
	for (i = 0; i < ranges.count; i++) {
		int one = copy_range(ranges.start[i], ranges.end[i]);

		if (one && !err)
			err = one;
	}
	return err;
}
