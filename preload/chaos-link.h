/* SPDX-License-Identifier: MIT */
/*
 * How libflaketrap.so and libflaketrap-chaos.so meet. The chaos object
 * wraps the calls where threads hand work to each other (locks, condition
 * variables, semaphores, reads and writes, polls) and asks, at each, the
 * point function libflaketrap.so gives it once, from its initialization,
 * when FLAKETRAP_CHAOS=on. Until then, and for ever when chaos is off
 * (the object is then not even loaded), every wrapper passes its call on.
 * The decisions, the sites, the counters and the log stay in
 * libflaketrap.so, which also asks at the points it wraps itself (thread
 * creation, start and join, fork).
 */
#ifndef FT_CHAOS_LINK_H
#define FT_CHAOS_LINK_H

#include <stdint.h>

/* Bumped whenever the points or the calls below change. */
#define FT_CHAOS_LINK_VERSION 1
#define FT_CHAOS_ATTACH "ft_chaos_attach"

enum ft_chaos_point {
#define FT_CHAOS_POINT(id, starve, victim_starve, victim_brief, hold) \
	FT_CHAOS_##id,
#include "chaos-points.def"
#undef FT_CHAOS_POINT
	FT_CHAOS_NPOINTS
};

/* The calling thread holds a mutex or rwlock it took through us (the lock
 * a condition wait is about to release not counted). */
#define FT_CHAOS_HOLDING_LOCK 1u

/*
 * A thread reached point at the call that returns to ra (on descriptor
 * fd, or -1; flags FT_CHAOS_*): maybe hold it back. Keeps errno.
 * async-signal-safe
 */
typedef void ft_chaos_point_fn(enum ft_chaos_point point, uintptr_t ra,
			       int fd, unsigned flags);

/* 0, or -1 when version is not the chaos object's (another build). */
typedef int ft_chaos_attach_fn(int version, ft_chaos_point_fn *point);

#endif
