/* SPDX-License-Identifier: MIT */
/*
 * libflaketrap-warp.so: a virtual clock. One offset per process, added to
 * every wall clock the program reads; a timed wait that nothing ends within
 * the grace moves it to the wait's deadline. This file holds the offset,
 * the counters, the next definitions and the link with libflaketrap.so;
 * the wrappers are in clocks.c, waits.c, sync.c and sleeps.c.
 *
 * Threads share the offset; it only grows, so no clock goes backwards. A
 * fork child inherits it (it is memory); a new image (exec) starts at 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../extra/next.h"
#include "warp.h"

struct ft_next ft_next;

static atomic_int resolved;
static atomic_int attached;
static int64_t grace_ns;
static int rule;
static int64_t guard_ns;
static int idle_sleeps;
/* The process's own clock, or its tree's (ft_warp_tree_attach). */
static atomic_llong own_offset_ns;
static atomic_llong *offset_ns = &own_offset_ns;
static struct ft_warp_counters counters;
static const struct ft_warp_link warp_link = {
	FT_WARP_LINK_VERSION, &counters,
};

static void resolve(void)
{
	void *p;

	if (atomic_load_explicit(&resolved, memory_order_acquire))
		return;
	/* Racing resolvers store the same values. */
#define FT_NEXT(name, version)                                             \
	p = ft_next_symbol("libflaketrap-warp.so", #name, version);                                        \
	__atomic_store_n((void **)&ft_next.name, p, __ATOMIC_RELAXED);
#include "next.def"
#undef FT_NEXT
	p = ft_next_symbol("libflaketrap-warp.so", "pthread_cond_timedwait",
			   "GLIBC_2.2.5");
	__atomic_store_n((void **)&ft_next.cond_timedwait_2_2_5, p,
			 __ATOMIC_RELAXED);
	atomic_store_explicit(&resolved, 1, memory_order_release);
}

int ft_warp_on(void)
{
	if (atomic_load_explicit(&attached, memory_order_acquire))
		return 1;
	resolve();
	return 0;
}

int ft_warp_rule(void)
{
	return rule;
}

int ft_warp_idle_wait(int64_t left)
{
	return rule == FT_WARP_RULE_IDLE || left >= guard_ns;
}

int ft_warp_idle_sleeps(void)
{
	return idle_sleeps;
}

void ft_warp_count_real(void)
{
	atomic_fetch_add_explicit(&counters.waits_real, 1,
				  memory_order_relaxed);
}

void ft_warp_count_idle_scan(void)
{
	atomic_fetch_add_explicit(&counters.idle_scans, 1,
				  memory_order_relaxed);
}

int64_t ft_warp_grace(void)
{
	return grace_ns;
}

int64_t ft_warp_offset(void)
{
	return atomic_load_explicit(offset_ns, memory_order_acquire);
}

int ft_warp_wall_clock(clockid_t clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return 1;
	}
	return 0;
}

int64_t ft_warp_real(clockid_t clk)
{
	struct timespec ts;

	if (ft_next.clock_gettime(clk, &ts) != 0)
		return -1;
	return ft_ts_to_ns(&ts);
}

int64_t ft_warp_now(void)
{
	/* The offset first, as in ft_warp_target. */
	int64_t off = ft_warp_offset();

	return ft_ns_add(ft_warp_real(CLOCK_MONOTONIC), off);
}

int64_t ft_warp_target(int64_t left)
{
	/* The offset first: a jump in between then only makes it later. */
	int64_t off = ft_warp_offset();

	/* A wait for ever (TIME_T_MAX, CPython's TIMEOUT_MAX): no jump that
	 * would saturate the clocks and stop them. */
	if (left > FT_WARP_MAX_OFFSET - off)
		return -1;
	return ft_ns_add(ft_ns_add(ft_warp_real(CLOCK_MONOTONIC), off), left);
}

static void jump(int64_t target, int count_unmoved)
{
	int64_t cur = ft_warp_offset(), want;
	int saved = errno;

	if (target < 0)
		return;
	want = target - ft_warp_real(CLOCK_MONOTONIC);
	while (want > cur &&
	       !atomic_compare_exchange_weak_explicit(offset_ns, &cur, want,
						      memory_order_acq_rel,
						      memory_order_acquire))
		;
	if (want > cur || count_unmoved)
		atomic_fetch_add_explicit(&counters.waits_warped, 1,
					  memory_order_relaxed);
	if (want > cur)
		atomic_fetch_add_explicit(&counters.warped_ns,
					  (unsigned long long)(want - cur),
					  memory_order_relaxed);
	errno = saved;
}

void ft_warp_jump(int64_t target)
{
	jump(target, 1);
}

void ft_warp_catch_up(int64_t target)
{
	jump(target, 0);
}

FT_EXPORT const struct ft_warp_link *ft_warp_attach(int version, int how,
						    int64_t grace,
						    int64_t guard);

/* Called once by libflaketrap.so, from its initialization. */
const struct ft_warp_link *ft_warp_attach(int version, int how, int64_t grace,
					  int64_t guard)
{
	if (version != FT_WARP_LINK_VERSION ||
	    ((how & ~FT_WARP_IDLE_SLEEPS) != FT_WARP_RULE_EXPOSE &&
	     (how & ~FT_WARP_IDLE_SLEEPS) != FT_WARP_RULE_IDLE))
		return NULL;
	resolve();
	rule = how & ~FT_WARP_IDLE_SLEEPS;
	idle_sleeps = (how & FT_WARP_IDLE_SLEEPS) != 0;
	{
		/* warp's hang guards wait under the idle rule too. */
		struct ft_warp_tree *tree = ft_idle_tree_attach();

		if (tree)
			offset_ns = &tree->offset_ns;
	}
	grace_ns = grace;
	guard_ns = guard;
	atomic_store_explicit(&attached, 1, memory_order_release);
	return &warp_link;
}
