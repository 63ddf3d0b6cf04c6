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
 * Profilers that name functions from the mapped file see anonymous code after
 * this; the worker's --no-text-copy keeps the file mapping for them. */
#include "lskel_sandbox.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE (2UL << 20)

struct text_range {
	uintptr_t start;
	uintptr_t end;
	int count;
};

/* The executable's one executable PT_LOAD segment (the first object
 * dl_iterate_phdr reports is the program itself). */
static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	struct text_range *range = data;
	long page = sysconf(_SC_PAGESIZE);
	int i;
	(void)size;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *segment = &info->dlpi_phdr[i];

		if (segment->p_type != PT_LOAD || !(segment->p_flags & PF_X))
			continue;
		range->start = (info->dlpi_addr + segment->p_vaddr) & ~((uintptr_t)page - 1);
		range->end = (info->dlpi_addr + segment->p_vaddr + segment->p_memsz + page - 1) & ~((uintptr_t)page - 1);
		range->count++;
	}
	return 1; /* the program only */
}

int lskel_worker_copy_text_to_huge_pages(void)
{
	struct text_range range = { 0 };
	uintptr_t raw, copy;
	size_t length;

	dl_iterate_phdr(find_text, &range);
	if (range.count != 1 || range.end <= range.start)
		return -ENOENT;
	length = range.end - range.start;
	/* Room to place the copy at the same offset within a huge page as the
	 * original, so that mremap can move whole huge pages. */
	raw = (uintptr_t)mmap(NULL, length + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)raw == MAP_FAILED)
		return -errno;
	copy = (raw & ~(HUGE_PAGE - 1)) + (range.start & (HUGE_PAGE - 1));
	if (copy < raw)
		copy += HUGE_PAGE;
	if (copy > raw)
		munmap((void *)raw, copy - raw);
	if (raw + length + HUGE_PAGE > copy + length)
		munmap((void *)(copy + length), raw + length + HUGE_PAGE - (copy + length));
	/* Huge pages where the kernel allows them; 4 KiB pages still copy their
	 * entries at fork. */
	(void)madvise((void *)copy, length, MADV_HUGEPAGE);
	memcpy((void *)copy, (const void *)range.start, length);
	if (mprotect((void *)copy, length, PROT_READ | PROT_EXEC) != 0 ||
	    mremap((void *)copy, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)range.start) == MAP_FAILED) {
		int err = errno;

		munmap((void *)copy, length);
		return -err;
	}
	return 0;
}
