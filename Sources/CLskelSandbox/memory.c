/* How a worker's allocator uses memory. A job is one short process: every
 * page it touches for the first time is a page fault, and glibc's default of
 * mapping each large block (128 KiB and up) afresh and unmapping it on free
 * makes every copy of a large object cost its pages again. With the
 * thresholds raised, freed blocks stay in the heap and the next large block
 * reuses pages that are already there; the job's address-space limit still
 * bounds the heap. */
#include "lskel_sandbox.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void lskel_worker_tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
}

/* Makes `bytes` of heap resident and gives them back to the allocator, which
 * keeps them (see the thresholds above): a job that does this while it waits
 * for its request finds its first megabytes already mapped. One madvise
 * populates them without a fault per page; where the kernel lacks
 * MADV_POPULATE_WRITE (before 5.14) the pages are written instead. */
void lskel_worker_prefault_heap(size_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	char *block = malloc(bytes);
	uintptr_t start, end;

	if (!block || page <= 0)
		goto out;
	start = ((uintptr_t)block + page - 1) & ~((uintptr_t)page - 1);
	end = ((uintptr_t)block + bytes) & ~((uintptr_t)page - 1);
	if (end > start && madvise((void *)start, end - start, MADV_POPULATE_WRITE) != 0)
		memset(block, 0, bytes);
out:
	free(block);
}

/* Gives the heap's free pages back to the kernel (the fork server, after its
 * warm-up): a job forked from a smaller process copies fewer page-table
 * entries at fork and unmaps fewer at exit, and the pages it does touch
 * cost a fault either way (zero-filled instead of copied). */
void lskel_worker_release_free_heap(void)
{
	malloc_trim(0);
}
