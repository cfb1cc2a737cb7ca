/* SPDX-License-Identifier: MIT */
/*
 * libflaketrap-chaos.so: the wrappers of the calls where threads hand work
 * to each other, loaded only with FLAKETRAP_CHAOS=on, so that with chaos
 * off no lock, read or write of the program passes through us. This file
 * holds the next definitions and the link with libflaketrap.so, which
 * makes every decision; the wrappers are in sync.c and io.c.
 */
#include "../extra/next.h"
#include "chaos.h"

struct ft_next ft_next;
__thread int ft_locks_held;

static atomic_int resolved;
static ft_chaos_point_fn *_Atomic point_fn;

static void resolve(void)
{
	void *p;

	/* Racing resolvers store the same values. */
#define FT_NEXT(name, version)                                             \
	p = ft_next_symbol("libflaketrap-chaos.so", #name, version);                                        \
	__atomic_store_n((void **)&ft_next.name, p, __ATOMIC_RELAXED);
#include "next.def"
#undef FT_NEXT
	atomic_store_explicit(&resolved, 1, memory_order_release);
}

ft_chaos_point_fn *ft_chaos_point_get(void)
{
	ft_chaos_point_fn *p = atomic_load_explicit(&point_fn,
						    memory_order_acquire);

	if (!p && !atomic_load_explicit(&resolved, memory_order_acquire))
		resolve();
	return p;
}

FT_EXPORT int ft_chaos_attach(int version, ft_chaos_point_fn *point);

/* Called once by libflaketrap.so, from its initialization. */
int ft_chaos_attach(int version, ft_chaos_point_fn *point)
{
	if (version != FT_CHAOS_LINK_VERSION)
		return -1;
	if (!atomic_load_explicit(&resolved, memory_order_acquire))
		resolve();
	atomic_store_explicit(&point_fn, point, memory_order_release);
	return 0;
}
