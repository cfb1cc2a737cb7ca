/* SPDX-License-Identifier: MIT */
/*
 * The test that runs now (flaketrap_test_begin/end, testblame.c) and the
 * names of this process's tests, so that each thread and child record
 * carries the test during which it was made.
 *
 * A test is a number, 1 for the first; 0 is none. Its name goes, once, in
 * an arena of our own (never the program's heap), mapped on the first
 * test: a record keeps only the number, and the exit scan, which may run
 * in a signal handler, reads the name back without a lock. A fork child
 * keeps the arena (copied with the rest of the memory): the test its
 * parent ran is its own too until its parent's runner, in it, says more.
 *
 * The process's current test is the runner's; a thread made during a test
 * keeps that test for all it makes (a pool made by test_a that starts a
 * thread while test_b runs still blames test_a), since the runner's test
 * changes under its feet.
 */
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "ft.h"

#define FT_TESTS_MAX (1u << 20)
#define FT_TEST_NAMES_SIZE ((size_t)64 << 20)

static char *names;			/* each name NUL-terminated */
static uint32_t *name_at;		/* by test number: offset + 1 */
static _Atomic size_t names_used;
static _Atomic uint32_t tests_made;
static _Atomic uint32_t current;
/* A thread made during a test: that test. 0 elsewhere. */
static __thread uint32_t inherited;

/* The arena, once (normal context: a test begins). */
static int arena(void)
{
	static atomic_int state;	/* 0 not yet, 1 ready, -1 failed */
	int expected = 0;
	void *p, *q;

	if (atomic_load_explicit(&state, memory_order_acquire))
		return atomic_load(&state) > 0;
	p = mmap(NULL, FT_TEST_NAMES_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	q = mmap(NULL, FT_TESTS_MAX * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED) {
		if (p != MAP_FAILED)
			munmap(p, FT_TEST_NAMES_SIZE);
		if (q != MAP_FAILED)
			munmap(q, FT_TESTS_MAX * sizeof(uint32_t));
		atomic_store(&state, -1);
		return 0;
	}
	/* Two threads beginning their first test at once: one arena. */
	if (!atomic_compare_exchange_strong(&state, &expected, 2)) {
		munmap(p, FT_TEST_NAMES_SIZE);
		munmap(q, FT_TESTS_MAX * sizeof(uint32_t));
		while (atomic_load(&state) == 2)
			sched_yield();
		return atomic_load(&state) > 0;
	}
	names = p;
	name_at = q;
	atomic_store_explicit(&state, 1, memory_order_release);
	return 1;
}

uint32_t ft_test_enter(const char *name)
{
	size_t len = strnlen(name, FT_TEST_NAME_MAX - 1), at;
	uint32_t id;

	inherited = 0;
	if (!arena())
		return 0;
	at = atomic_fetch_add(&names_used, len + 1);
	id = atomic_fetch_add(&tests_made, 1) + 1;
	if (at + len + 1 > FT_TEST_NAMES_SIZE || id >= FT_TESTS_MAX) {
		atomic_store(&current, 0);
		return 0;
	}
	memcpy(names + at, name, len);
	names[at + len] = '\0';
	atomic_store_explicit((_Atomic uint32_t *)&name_at[id],
			      (uint32_t)at + 1, memory_order_release);
	atomic_store(&current, id);
	return id;
}

uint32_t ft_test_leave(void)
{
	inherited = 0;
	return atomic_exchange(&current, 0);
}

uint32_t ft_test_now(void)
{
	return inherited ? inherited : atomic_load_explicit(&current,
							    memory_order_relaxed);
}

void ft_test_inherit(uint32_t test)
{
	inherited = test;
}

/* async-signal-safe */
const char *ft_test_name(uint32_t test)
{
	uint32_t at;

	if (!test || test >= FT_TESTS_MAX || !name_at)
		return NULL;
	at = atomic_load_explicit((_Atomic uint32_t *)&name_at[test],
				  memory_order_acquire);
	return at ? names + at - 1 : NULL;
}
