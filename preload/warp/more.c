/* SPDX-License-Identifier: MIT */
/*
 * More waits with an absolute deadline, as in sync.c: C11's cnd_timedwait
 * and mtx_timedlock (glibc calls its pthread functions inside, past our
 * wrappers), the rwlock timed and clocked locks, pthread_timedjoin_np and
 * pthread_clockjoin_np (next: libflaketrap.so's, which notes the join).
 * And timerfd_settime: an absolute expiry computed from a warped clock is
 * turned back into a real one (the timer is not warped; it fires for real).
 */
#include <errno.h>

#include "warp.h"

/* Whether a clocked call may go to ft_warp_deadline. */
static int cond_clock_ok(clockid_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC;
}

#define FT_TIMED(call_next, timeout_value, clk, abs) \
	FT_TIMED_WAIT(call_next, 0, timeout_value, clk, abs)

FT_WRAP(cnd_timedwait)
	__attribute__((symver("cnd_timedwait@@GLIBC_2.34"),
		       symver("cnd_timedwait@GLIBC_2.28")));
int w_cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
		    const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.cnd_timedwait(c, m, t)
	FT_TIMED_WAIT_ON(NEXT, 0, thrd_timedout, CLOCK_REALTIME, abs, c);
#undef NEXT
}

FT_WRAP(mtx_timedlock)
	__attribute__((symver("mtx_timedlock@@GLIBC_2.34"),
		       symver("mtx_timedlock@GLIBC_2.28")));
int w_mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.mtx_timedlock(m, t)
	FT_TIMED(NEXT, thrd_timedout, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(pthread_rwlock_timedrdlock)
	__attribute__((symver("pthread_rwlock_timedrdlock@@GLIBC_2.34"),
		       symver("pthread_rwlock_timedrdlock@GLIBC_2.2.5")));
int w_pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict l,
				 const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_rwlock_timedrdlock(l, t)
	FT_TIMED(NEXT, ETIMEDOUT, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(pthread_rwlock_timedwrlock)
	__attribute__((symver("pthread_rwlock_timedwrlock@@GLIBC_2.34"),
		       symver("pthread_rwlock_timedwrlock@GLIBC_2.2.5")));
int w_pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict l,
				 const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_rwlock_timedwrlock(l, t)
	FT_TIMED(NEXT, ETIMEDOUT, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(pthread_rwlock_clockrdlock)
	__attribute__((symver("pthread_rwlock_clockrdlock@@GLIBC_2.34"),
		       symver("pthread_rwlock_clockrdlock@GLIBC_2.30")));
int w_pthread_rwlock_clockrdlock(pthread_rwlock_t *restrict l, clockid_t clk,
				 const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_rwlock_clockrdlock(l, clk, t)
	if (!cond_clock_ok(clk))
		return NEXT(abs);
	FT_TIMED(NEXT, ETIMEDOUT, clk, abs);
#undef NEXT
}

FT_WRAP(pthread_rwlock_clockwrlock)
	__attribute__((symver("pthread_rwlock_clockwrlock@@GLIBC_2.34"),
		       symver("pthread_rwlock_clockwrlock@GLIBC_2.30")));
int w_pthread_rwlock_clockwrlock(pthread_rwlock_t *restrict l, clockid_t clk,
				 const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_rwlock_clockwrlock(l, clk, t)
	if (!cond_clock_ok(clk))
		return NEXT(abs);
	FT_TIMED(NEXT, ETIMEDOUT, clk, abs);
#undef NEXT
}

FT_WRAP(pthread_timedjoin_np)
	__attribute__((symver("pthread_timedjoin_np@@GLIBC_2.34"),
		       symver("pthread_timedjoin_np@GLIBC_2.3.3")));
int w_pthread_timedjoin_np(pthread_t t, void **ret,
			   const struct timespec *abs)
{
#define NEXT(d) ft_next.pthread_timedjoin_np(t, ret, d)
	FT_TIMED(NEXT, ETIMEDOUT, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(pthread_clockjoin_np)
	__attribute__((symver("pthread_clockjoin_np@@GLIBC_2.34"),
		       symver("pthread_clockjoin_np@GLIBC_2.31")));
int w_pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
			   const struct timespec *abs)
{
#define NEXT(d) ft_next.pthread_clockjoin_np(t, ret, clk, d)
	if (!cond_clock_ok(clk))
		return NEXT(abs);
	FT_TIMED(NEXT, ETIMEDOUT, clk, abs);
#undef NEXT
}

FT_WRAP(timerfd_settime) __attribute__((symver("timerfd_settime@@GLIBC_2.8")));
int w_timerfd_settime(int fd, int flags, const struct itimerspec *new,
		      struct itimerspec *old)
{
	struct itimerspec real;
	int64_t off, v;

	if (!ft_warp_on() || !(flags & TFD_TIMER_ABSTIME) || !new ||
	    !ft_ts_valid(&new->it_value) ||
	    (new->it_value.tv_sec == 0 && new->it_value.tv_nsec == 0) ||
	    (off = ft_warp_offset()) == 0)
		return ft_next.timerfd_settime(fd, flags, new, old);
	/* Every clock a timerfd may use is a wall clock: same offset. */
	real = *new;
	v = ft_ts_to_ns(&new->it_value) - off;
	/* Already past: the earliest real expiry that is not "disarm". */
	real.it_value = ft_ns_to_ts(v > 0 ? v : 1);
	return ft_next.timerfd_settime(fd, flags, &real, old);
}
