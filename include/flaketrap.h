/* SPDX-License-Identifier: MIT */
/*
 * flaketrap.h: tell flaketrap which test runs, so that its log blames each
 * thread and child left running on the test that made it.
 *
 *	flaketrap_test_begin("suite.test_b");
 *	... the test ...
 *	flaketrap_test_end();
 *
 * At each end, libflaketrap.so writes the threads and children made since
 * the begin (by the test or by the threads it made) that are still alive,
 * with where they were made; `flaketrap report` groups them by test.
 *
 * No link-time dependency: the functions look for the library's with
 * dlsym once, on the first call (dlsym is in libc since glibc 2.34; link
 * older ones with -ldl), and do nothing when it is not loaded. Usable from
 * C (C99 or later) and C++. Header only: nothing to build.
 */
#ifndef FLAKETRAP_H
#define FLAKETRAP_H

#ifdef FLAKETRAP_LIBRARY
/* The library's own definitions (preload/testblame.c). */
void flaketrap_test_begin(const char *name);
void flaketrap_test_end(void);
#else

#include <dlfcn.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void flaketrap_begin_fn(const char *name);
typedef void flaketrap_end_fn(void);

struct flaketrap_api {
	flaketrap_begin_fn *begin;
	flaketrap_end_fn *end;
};

/*
 * The library's functions, or NULL: looked up once per translation unit
 * (two threads' first calls may both look: same answer). RTLD_DEFAULT is
 * the null handle in glibc and musl, spelled out so that the header needs
 * no _GNU_SOURCE.
 */
static inline const struct flaketrap_api *flaketrap_api_(void)
{
	static struct flaketrap_api api;
	static int looked;
	union {
		void *object;
		flaketrap_begin_fn *begin;
		flaketrap_end_fn *end;
	} sym;

	if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
		sym.object = dlsym((void *)0, "flaketrap_test_begin");
		__atomic_store_n(&api.begin, sym.begin, __ATOMIC_RELAXED);
		sym.object = dlsym((void *)0, "flaketrap_test_end");
		__atomic_store_n(&api.end, sym.end, __ATOMIC_RELAXED);
		__atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
	}
	return &api;
}

/* name: any text (a test's full name); the library keeps a copy. */
static inline void flaketrap_test_begin(const char *name)
{
	flaketrap_begin_fn *fn =
		__atomic_load_n(&flaketrap_api_()->begin, __ATOMIC_RELAXED);

	if (fn)
		fn(name);
}

static inline void flaketrap_test_end(void)
{
	flaketrap_end_fn *fn =
		__atomic_load_n(&flaketrap_api_()->end, __ATOMIC_RELAXED);

	if (fn)
		fn();
}

#ifdef __cplusplus
}
#endif

#endif /* FLAKETRAP_LIBRARY */
#endif /* FLAKETRAP_H */
