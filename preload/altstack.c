/* SPDX-License-Identifier: MIT */
/*
 * The alternate signal stacks of the threads we start, for the crash
 * record of a stack overflow: 32 KiB slots of a pool mapped 64 slots at a
 * time (never the heap, never the thread's own stack: a frame that large
 * costs a thread some 50 us of page faults once glibc has given the unused
 * part of a cached stack back). Pages of a slot are touched only when a
 * handler runs there. Past FT_ALT_CHUNKS * 64 slots in use at once, a
 * thread has none.
 *
 * A thread takes its slot at its start and never disables it: the kernel
 * forgets a thread's alternate stack when the thread is gone, and the slot
 * is given back with the thread's record (registry.c), which is freed only
 * once the kernel no longer lists the thread. Disabling it at the thread's
 * end was a second sigaltstack call per thread (1 us of a 50 us
 * pthread_create+join on our VM), and left the last of the thread's exit
 * (glibc's destructors) without one.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "ft.h"

#define FT_ALT_PER_CHUNK 64
#define FT_ALT_CHUNKS 256

static char *_Atomic alt_chunks[FT_ALT_CHUNKS];
static _Atomic uint64_t alt_used[FT_ALT_CHUNKS];

static char *chunk(int c)
{
	char *base = atomic_load(&alt_chunks[c]), *fresh, *none = NULL;

	if (base)
		return base;
	fresh = mmap(NULL, (size_t)FT_ALT_SIZE * FT_ALT_PER_CHUNK,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fresh == MAP_FAILED)
		return NULL;
	if (atomic_compare_exchange_strong(&alt_chunks[c], &none, fresh))
		return fresh;
	munmap(fresh, (size_t)FT_ALT_SIZE * FT_ALT_PER_CHUNK);
	return none;
}

uint32_t ft_alt_take(void)
{
	uint64_t used;
	int c, bit;

	for (c = 0; c < FT_ALT_CHUNKS; c++) {
		used = atomic_load(&alt_used[c]);
		if (used == ~(uint64_t)0)
			continue;
		/* Without memory for it, none for a later chunk either. */
		if (!chunk(c))
			return 0;
		while (used != ~(uint64_t)0) {
			bit = __builtin_ctzll(~used);
			if (atomic_compare_exchange_weak(
				    &alt_used[c], &used,
				    used | (uint64_t)1 << bit))
				return (uint32_t)(c * FT_ALT_PER_CHUNK + bit) + 1;
		}
	}
	return 0;
}

void *ft_alt_slot(uint32_t slot)
{
	uint32_t i = slot - 1;

	return atomic_load(&alt_chunks[i / FT_ALT_PER_CHUNK]) +
	       (size_t)(i % FT_ALT_PER_CHUNK) * FT_ALT_SIZE;
}

/* async-signal-safe */
void ft_alt_give(uint32_t slot)
{
	uint32_t i = slot - 1;

	if (slot == 0 || i >= FT_ALT_CHUNKS * FT_ALT_PER_CHUNK)
		return;
	atomic_fetch_and(&alt_used[i / FT_ALT_PER_CHUNK],
			 ~((uint64_t)1 << (i % FT_ALT_PER_CHUNK)));
}
