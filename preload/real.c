/* SPDX-License-Identifier: MIT */
/*
 * Resolution of the next definition of every wrapped function, driven by
 * real.def. Lazy and idempotent: a wrapper may run before our constructor.
 */
#include <dlfcn.h>
#include <string.h>

#include "ft.h"

struct ft_real ft_real;

static atomic_int resolved;
/* Not in real.def: resolved, never wrapped. */
static __typeof__(&clock_gettime) real_clock_gettime;

static void die_missing(const char *name)
{
	static const char msg1[] = "flaketrap: cannot find the real ";
	static const char msg2[] = " in the process; giving up\n";
	ssize_t ignored;

	ignored = write(2, msg1, sizeof(msg1) - 1);
	ignored = write(2, name, strlen(name));
	ignored = write(2, msg2, sizeof(msg2) - 1);
	(void)ignored;
	abort();
}

/* dlsym(RTLD_NEXT), refusing our own wrapper (compiler-rt GetFuncAddr). */
static void *lookup(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);

	return p == self ? NULL : p;
}

void ft_real_ensure(void)
{
	void *p;

	if (atomic_load_explicit(&resolved, memory_order_acquire))
		return;
	/*
	 * Racing resolvers store the same values; atomic stores keep that
	 * free of data races.
	 */
#define FT_REAL(name, kind)                                               \
	p = lookup(#name, (void *)&name);                                 \
	if (!p && kind)                                                   \
		die_missing(#name);                                       \
	__atomic_store_n((void **)&ft_real.name, p, __ATOMIC_RELAXED);
#define REQUIRED 1
#define OPTIONAL 0
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include "real.def"
#pragma GCC diagnostic pop
#undef REQUIRED
#undef OPTIONAL
#undef FT_REAL
	p = dlsym(RTLD_NEXT, "clock_gettime");
	if (!p)
		die_missing("clock_gettime");
	__atomic_store_n((void **)&real_clock_gettime, p, __ATOMIC_RELAXED);
	atomic_store_explicit(&resolved, 1, memory_order_release);
}

int ft_clock(clockid_t clk, struct timespec *ts)
{
	ft_real_ensure();
	return __atomic_load_n(&real_clock_gettime, __ATOMIC_RELAXED)(clk, ts);
}
