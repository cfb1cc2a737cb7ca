/* SPDX-License-Identifier: MIT */
/*
 * The clocks the program reads: clock_gettime on the wall clocks
 * (realtime, monotonic, boottime, TAI, their coarse and raw forms),
 * gettimeofday, time and timespec_get return the real time plus the
 * process's offset. CPU-time clocks are left alone. A clock read by a raw
 * system call (syscall(SYS_clock_gettime)) does not come here.
 * async-signal-safe, as the functions they wrap.
 */
#include "warp.h"

/* The offset is read before the clock: a jump in between cannot make a
 * later reading smaller than an earlier one. */

FT_WRAP(clock_gettime)
	__attribute__((symver("clock_gettime@@GLIBC_2.17"),
		       symver("clock_gettime@GLIBC_2.2.5")));
int w_clock_gettime(clockid_t clk, struct timespec *ts)
{
	int64_t off;
	int r;

	if (!ft_warp_on() || !ft_warp_wall_clock(clk))
		return ft_next.clock_gettime(clk, ts);
	off = ft_warp_offset();
	r = ft_next.clock_gettime(clk, ts);
	if (r == 0 && off)
		*ts = ft_ns_to_ts(ft_ns_add(ft_ts_to_ns(ts), off));
	return r;
}

/* Not FT_WRAP: glibc declares tv nonnull, and Linux accepts NULL. */
FT_EXPORT int w_gettimeofday(struct timeval *restrict tv, void *restrict tz)
	__attribute__((symver("gettimeofday@@GLIBC_2.2.5")));
_Static_assert(__builtin_types_compatible_p(__typeof__(&w_gettimeofday),
					    __typeof__(&gettimeofday)),
	       "gettimeofday's prototype");
int w_gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;
	int64_t off;
	int r;

	if (!ft_warp_on() || !tv)
		return ft_next.gettimeofday(tv, tz);
	off = ft_warp_offset();
	r = ft_next.gettimeofday(tv, tz);
	/* From the realtime clock, as time(): the same truncation of it. */
	if (r == 0 && off && ft_next.clock_gettime(CLOCK_REALTIME, &ts) == 0)
		*tv = ft_ns_to_tv(ft_ns_add(ft_ts_to_ns(&ts), off));
	return r;
}

FT_WRAP(time) __attribute__((symver("time@@GLIBC_2.2.5")));
time_t w_time(time_t *out)
{
	int64_t off;
	struct timespec ts;
	time_t t;

	if (!ft_warp_on())
		return ft_next.time(out);
	off = ft_warp_offset();
	if (!off)
		return ft_next.time(out);
	/* time() is the realtime clock's seconds. */
	if (ft_next.clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return ft_next.time(out);
	t = (time_t)(ft_ns_add(ft_ts_to_ns(&ts), off) / FT_NS_PER_S);
	if (out)
		*out = t;
	return t;
}

FT_WRAP(timespec_get) __attribute__((symver("timespec_get@@GLIBC_2.16")));
int w_timespec_get(struct timespec *ts, int base)
{
	int64_t off;
	int r;

	if (!ft_warp_on() || base != TIME_UTC)
		return ft_next.timespec_get(ts, base);
	off = ft_warp_offset();
	r = ft_next.timespec_get(ts, base);
	if (r == base && off)
		*ts = ft_ns_to_ts(ft_ns_add(ft_ts_to_ns(ts), off));
	return r;
}
