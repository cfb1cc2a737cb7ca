/* SPDX-License-Identifier: MIT */
/*
 * The sleep family under warp: the real sleep is libflaketrap.so's, next
 * (FLAKETRAP_SLEEP decides how long it lasts: 1 ns by default), then the
 * clock jumps to the end the program asked for, so every clock says the
 * whole sleep passed. An interrupted sleep moves the clock by the part
 * it reports as slept. async-signal-safe, as sleep and nanosleep are.
 *
 * Under the idle rule with FLAKETRAP_SLEEP=off, a sleep is one of the
 * rule's waits instead (idle.c): it lasts until its end comes for real or
 * the tree is idle and its end is the earliest.
 */
#include <errno.h>

#include "warp.h"

/*
 * A relative sleep of ns as one of the idle rule's waits: 1 when it
 * slept to its end, -1 (errno EINTR, *left the virtual ns left) when a
 * signal cut it, 0 when it is not the rule's (not the idle rule, sleeps
 * changed by FLAKETRAP_SLEEP, or a sleep for ever): the caller goes on.
 */
static int idle_sleep_ns(int64_t ns, int64_t *left)
{
	int64_t target;

	if (!ft_warp_idle_sleeps() || ns <= 0 || !ft_warp_idle_wait(ns) ||
	    (target = ft_warp_target(ns)) < 0)
		return 0;
	return ft_warp_idle_sleep(target, left) == 0 ? 1 : -1;
}

FT_WRAP(nanosleep) __attribute__((symver("nanosleep@@GLIBC_2.2.5")));
int w_nanosleep(const struct timespec *req, struct timespec *rem)
{
	struct ft_idle reg;
	int64_t target;
	int r, e;

	if (!ft_warp_on() || !req || !ft_ts_valid(req))
		return ft_next.nanosleep(req, rem);
	r = idle_sleep_ns(ft_ts_to_ns(req), &target);
	if (r != 0) {
		if (r < 0 && rem)
			*rem = ft_ns_to_ts(target);
		return r < 0 ? -1 : 0;
	}
	target = ft_warp_target(ft_ts_to_ns(req));
	ft_idle_real_begin(&reg, ft_ts_to_ns(req));
	r = ft_next.nanosleep(req, rem);
	e = errno;
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_catch_up(target);
	else if (e == EINTR && target >= 0 && rem && ft_ts_valid(rem))
		ft_warp_catch_up(target - ft_ts_to_ns(rem));
	errno = e;
	return r;
}

FT_WRAP(sleep) __attribute__((symver("sleep@@GLIBC_2.2.5")));
unsigned int w_sleep(unsigned int seconds)
{
	struct ft_idle reg;
	int64_t target;
	unsigned int left;
	int r;

	if (!ft_warp_on() || seconds == 0)
		return ft_next.sleep(seconds);
	{
		int e = errno;

		r = idle_sleep_ns((int64_t)seconds * FT_NS_PER_S, &target);
		errno = e; /* glibc's sleep keeps it */
		if (r > 0)
			return 0;
		/* As glibc's sleep: the seconds left, rounded. */
		if (r < 0)
			return (unsigned int)((target + FT_NS_PER_S / 2) /
					      FT_NS_PER_S);
	}
	target = ft_warp_target((int64_t)seconds * FT_NS_PER_S);
	ft_idle_real_begin(&reg, (int64_t)seconds * FT_NS_PER_S);
	left = ft_next.sleep(seconds);
	ft_idle_stop(&reg);
	if (target >= 0 && left <= seconds)
		ft_warp_catch_up(target - (int64_t)left * FT_NS_PER_S);
	return left;
}

FT_WRAP(usleep) __attribute__((symver("usleep@@GLIBC_2.2.5")));
int w_usleep(useconds_t usec)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || usec == 0)
		return ft_next.usleep(usec);
	r = idle_sleep_ns((int64_t)usec * 1000, &target);
	if (r != 0)
		return r < 0 ? -1 : 0;
	target = ft_warp_target((int64_t)usec * 1000);
	ft_idle_real_begin(&reg, (int64_t)usec * 1000);
	r = ft_next.usleep(usec);
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_catch_up(target);
	return r;
}

static int abs_sleep(clockid_t clk, const struct timespec *req,
		     struct timespec *rem)
{
	struct ft_idle reg;
	int64_t off, now, d, left, target;
	struct timespec real;
	int r;

	off = ft_warp_offset();
	now = ft_warp_real(clk);
	if (now < 0)
		return ft_next.clock_nanosleep(clk, TIMER_ABSTIME, req, rem);
	d = ft_ts_to_ns(req);
	left = d - ft_ns_add(now, off);
	if (ft_warp_idle_sleeps()) {
		int e = errno;

		r = left > 0 ? idle_sleep_ns(left, &target) : 1;
		if (r != 0) {
			errno = e;
			return r < 0 ? EINTR : 0;
		}
	}
	real = ft_ns_to_ts(d > off ? d - off : 0);
	target = ft_warp_target(left > 0 ? left : 0);
	ft_idle_real_begin(&reg, left);
	r = ft_next.clock_nanosleep(clk, TIMER_ABSTIME, &real, rem);
	ft_idle_stop(&reg);
	if (r == 0 && left > 0)
		ft_warp_catch_up(target);
	return r;
}

FT_WRAP(clock_nanosleep)
	__attribute__((symver("clock_nanosleep@@GLIBC_2.17"),
		       symver("clock_nanosleep@GLIBC_2.2.5")));
int w_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
		      struct timespec *rem)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || !req || !ft_ts_valid(req) ||
	    (flags & ~TIMER_ABSTIME) || !ft_warp_wall_clock(clk))
		return ft_next.clock_nanosleep(clk, flags, req, rem);
	if (flags & TIMER_ABSTIME)
		return abs_sleep(clk, req, rem);
	{
		int e = errno;

		r = idle_sleep_ns(ft_ts_to_ns(req), &target);
		if (r != 0) {
			if (r < 0 && rem)
				*rem = ft_ns_to_ts(target);
			errno = e;
			return r < 0 ? EINTR : 0;
		}
	}
	target = ft_warp_target(ft_ts_to_ns(req));
	ft_idle_real_begin(&reg, ft_ts_to_ns(req));
	r = ft_next.clock_nanosleep(clk, flags, req, rem);
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_catch_up(target);
	else if (r == EINTR && target >= 0 && rem && ft_ts_valid(rem))
		ft_warp_catch_up(target - ft_ts_to_ns(rem));
	return r;
}

FT_WRAP(thrd_sleep) __attribute__((symver("thrd_sleep@@GLIBC_2.28")));
int w_thrd_sleep(const struct timespec *dur, struct timespec *rem)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || !dur || !ft_ts_valid(dur))
		return ft_next.thrd_sleep(dur, rem);
	{
		int e = errno;

		r = idle_sleep_ns(ft_ts_to_ns(dur), &target);
		errno = e; /* thrd_sleep tells by its value alone */
		if (r != 0) {
			if (r < 0 && rem)
				*rem = ft_ns_to_ts(target);
			return r < 0 ? -1 : 0;
		}
	}
	target = ft_warp_target(ft_ts_to_ns(dur));
	ft_idle_real_begin(&reg, ft_ts_to_ns(dur));
	r = ft_next.thrd_sleep(dur, rem);
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_catch_up(target);
	else if (r == -1 && target >= 0 && rem && ft_ts_valid(rem))
		ft_warp_catch_up(target - ft_ts_to_ns(rem));
	return r;
}
