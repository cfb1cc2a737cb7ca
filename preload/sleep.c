/* SPDX-License-Identifier: MIT */
/*
 * The sleep family: sleep, usleep, nanosleep, clock_nanosleep, thrd_sleep,
 * and the pure-sleep idioms select/pselect without descriptors and
 * poll/ppoll with nfds 0. Each wrapper keeps its function's contract; a call
 * we do not change (invalid arguments included) goes to the real function
 * untouched, so its errors are exactly libc's. Wrappers are
 * async-signal-safe, as sleep() and nanosleep() are.
 */
#include <errno.h>

#include "ft.h"
#include "prng.h"
#include "timespec.h"

/*
 * A sleep shrunk below this does not enter the kernel's timer, which would
 * add its 50 us slack to a "1 ns" sleep: it becomes a poll of no
 * descriptor with a zero timeout, which returns at once (still a
 * cancellation point, and a way back through the kernel, where another
 * task may be switched in). Not sched_yield: beside CPU-bound work
 * (flaketrap loop --load) a yield waits out the others' time slices, 1.7 ms
 * here, longer than the 1 ms sleep it replaced.
 */
#define FT_AT_ONCE_BELOW_NS 1000

/*
 * The counters reach the log only: without one, no sleep of any thread
 * writes them (four locked adds on one shared line, a tenth of the cost of
 * a zero-timeout select).
 */
static int64_t account(struct ft_sleep_call *call, int64_t req_ns,
		       int64_t slept_ns, int changed)
{
	if (ft_cfg()->log_dir[0] == '\0')
		return changed ? slept_ns : -1;
	atomic_fetch_add_explicit(&ft_process.counters.sleeps_seen, 1,
				  memory_order_relaxed);
	if (changed)
		atomic_fetch_add_explicit(&ft_process.counters.sleeps_changed, 1,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(&ft_process.counters.requested_ns,
				  (unsigned long long)req_ns,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&ft_process.counters.slept_ns,
				  (unsigned long long)slept_ns,
				  memory_order_relaxed);
	ft_sleep_end(call, req_ns, slept_ns, changed);
	return changed ? slept_ns : -1;
}

/*
 * The duration a sleep of req_ns lasts under the knobs, or -1 to leave it
 * alone. Counts the call either way, at its site (the wrapper returns to
 * ra). A zero sleep (a yield or a poll) is never lengthened.
 * async-signal-safe
 */
static int64_t decide(int64_t req_ns, uintptr_t ra)
{
	const struct ft_config *c = ft_cfg();
	const struct ft_sleep_policy *p = &c->sleep;
	struct ft_sleep_call call;
	int64_t ns;

	if (ft_sleep_begin(&call, ra) || p->mode == FT_SLEEP_OFF ||
	    req_ns == 0 || req_ns < c->sleep_min_ns)
		return account(&call, req_ns, req_ns, 0);
	if (c->sleep_prob_ppb < FT_PPB &&
	    ft_prng_below_incl(ft_random(), FT_PPB - 1) >= c->sleep_prob_ppb)
		return account(&call, req_ns, req_ns, 0);
	switch (p->mode) {
	case FT_SLEEP_RANGE:
		ns = p->lo_ns + (int64_t)ft_prng_below_incl(
					ft_random(), (uint64_t)(p->hi_ns - p->lo_ns));
		break;
	case FT_SLEEP_SCALE:
		ns = ft_ns_scale(req_ns, p->scale_ppb);
		break;
	default:
		ns = p->lo_ns;
		break;
	}
	return account(&call, req_ns, ns, 1);
}

/* Where the wrapper that calls it returns: the sleep's caller. */
#define CALLER() ((uintptr_t)__builtin_return_address(0))

/*
 * A sleep shrunk to nearly nothing returns at once, through a cancellation
 * point. Returns 1 when it did so (the sleep is over).
 */
static int returned_at_once(int64_t got)
{
	int saved = errno;

	if (got >= FT_AT_ONCE_BELOW_NS)
		return 0;
	ft_real.poll(NULL, 0, 0);
	ft_errno_keep(saved);
	return 1;
}

/*
 * Sleep `got` ns instead of the caller's `want` ns with nanosleep semantics;
 * on EINTR, *rem is the unslept part in the caller's scale.
 */
static int sleep_ns(int64_t got, int64_t want, struct timespec *rem)
{
	struct timespec ts, left;
	int r, e;

	if (returned_at_once(got))
		return 0;
	ts = ft_ns_to_ts(got);
	r = ft_real.nanosleep(&ts, &left);
	e = errno;
	if (r == -1 && e == EINTR && rem)
		*rem = ft_ns_to_ts(ft_ns_rescale_rem(ft_ts_to_ns(&left), got,
						     want));
	errno = e;
	return r;
}

FT_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int64_t got;

	if (!ft_active() || !req || !ft_ts_valid(req))
		return ft_real.nanosleep(req, rem);
	got = decide(ft_ts_to_ns(req), CALLER());
	if (got < 0)
		return ft_real.nanosleep(req, rem);
	return sleep_ns(got, ft_ts_to_ns(req), rem);
}

FT_EXPORT unsigned int sleep(unsigned int seconds)
{
	int64_t want = (int64_t)seconds * FT_NS_PER_S, got;
	struct timespec rem;
	int saved = errno;

	if (!ft_active())
		return ft_real.sleep(seconds);
	got = decide(want, CALLER());
	if (got < 0)
		return ft_real.sleep(seconds);
	/* glibc's sleep: whole seconds left on EINTR (errno EINTR), else 0 */
	rem = ft_ns_to_ts(want);
	if (sleep_ns(got, want, &rem) == -1)
		return (unsigned int)rem.tv_sec;
	ft_errno_keep(saved);
	return 0;
}

FT_EXPORT int usleep(useconds_t usec)
{
	int64_t want = (int64_t)usec * 1000, got;

	if (!ft_active())
		return ft_real.usleep(usec);
	got = decide(want, CALLER());
	if (got < 0)
		return ft_real.usleep(usec);
	return sleep_ns(got, want, NULL);
}

/*
 * Alarm clocks may refuse to sleep at all (no RTC, no CAP_WAKE_ALARM): only
 * the kernel can say, so their sleeps always reach it.
 */
static int is_alarm_clock(clockid_t clk)
{
	return clk == CLOCK_REALTIME_ALARM || clk == CLOCK_BOOTTIME_ALARM;
}

/* Clocks whose sleeps are waits in time, not CPU-time measurements. */
static int is_wall_clock(clockid_t clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		return 1;
	}
	return 0;
}

static int abstime_sleep(clockid_t clk, const struct timespec *req,
			 struct timespec *rem, uintptr_t ra)
{
	struct timespec now, deadline;
	int64_t want, got, now_ns;
	int saved = errno;

	if (ft_clock(clk, &now) != 0) {
		ft_errno_keep(saved);
		return ft_real.clock_nanosleep(clk, TIMER_ABSTIME, req, rem);
	}
	now_ns = ft_ts_to_ns(&now);
	want = ft_ts_to_ns(req) - now_ns;
	if (want < 0)
		want = 0;
	got = decide(want, ra);
	if (got < 0)
		return ft_real.clock_nanosleep(clk, TIMER_ABSTIME, req, rem);
	if (!is_alarm_clock(clk) && returned_at_once(got))
		return 0;
	deadline = ft_ns_to_ts(ft_ns_add(now_ns, got));
	return ft_real.clock_nanosleep(clk, TIMER_ABSTIME, &deadline, rem);
}

FT_EXPORT int clock_nanosleep(clockid_t clk, int flags,
			      const struct timespec *req, struct timespec *rem)
{
	struct timespec ts, left;
	int64_t want, got;
	int r;

	if (!ft_active() || !req || !ft_ts_valid(req) ||
	    (flags & ~TIMER_ABSTIME) || !is_wall_clock(clk))
		return ft_real.clock_nanosleep(clk, flags, req, rem);
	if (flags & TIMER_ABSTIME)
		return abstime_sleep(clk, req, rem, CALLER());
	want = ft_ts_to_ns(req);
	got = decide(want, CALLER());
	if (got < 0)
		return ft_real.clock_nanosleep(clk, flags, req, rem);
	if (!is_alarm_clock(clk) && returned_at_once(got))
		return 0;
	ts = ft_ns_to_ts(got);
	r = ft_real.clock_nanosleep(clk, 0, &ts, &left);
	if (r == EINTR && rem)
		*rem = ft_ns_to_ts(ft_ns_rescale_rem(ft_ts_to_ns(&left), got,
						     want));
	return r;
}

FT_EXPORT int thrd_sleep(const struct timespec *dur, struct timespec *rem)
{
	struct timespec ts, left;
	int64_t want, got;
	int r;

	if (!ft_real.thrd_sleep) {
		ft_real_ensure();
		if (!ft_real.thrd_sleep)
			return -2;	/* C11: negative, not -1, on error */
	}
	if (!ft_active() || !dur || !ft_ts_valid(dur))
		return ft_real.thrd_sleep(dur, rem);
	want = ft_ts_to_ns(dur);
	got = decide(want, CALLER());
	if (got < 0)
		return ft_real.thrd_sleep(dur, rem);
	if (returned_at_once(got))
		return 0;
	ts = ft_ns_to_ts(got);
	r = ft_real.thrd_sleep(&ts, &left);
	if (r == -1 && rem)
		*rem = ft_ns_to_ts(ft_ns_rescale_rem(ft_ts_to_ns(&left), got,
						     want));
	return r;
}

FT_EXPORT int select(int nfds, fd_set *rfds, fd_set *wfds, fd_set *efds,
		     struct timeval *timeout)
{
	struct timeval tv;
	int64_t want, got;
	int r, e;

	if (!ft_active() || !timeout || nfds < 0 ||
	    (nfds > 0 && (rfds || wfds || efds)) || !ft_tv_valid(timeout))
		return ft_real.select(nfds, rfds, wfds, efds, timeout);
	want = ft_tv_to_ns(timeout);
	got = decide(want, CALLER());
	if (got < 0)
		return ft_real.select(nfds, rfds, wfds, efds, timeout);
	if (returned_at_once(got)) {
		r = 0;
		e = errno;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	} else {
		tv = ft_ns_to_tv(got);
		r = ft_real.select(nfds, rfds, wfds, efds, &tv);
		e = errno;
	}
	/* Linux leaves the unslept time in *timeout: rescale ours. */
	if (r == 0)
		timeout->tv_sec = timeout->tv_usec = 0;
	else if (r == -1 && e == EINTR)
		*timeout = ft_ns_to_tv(ft_ns_rescale_rem(ft_tv_to_ns(&tv), got,
							 want));
	errno = e;
	return r;
}

FT_EXPORT int pselect(int nfds, fd_set *rfds, fd_set *wfds, fd_set *efds,
		      const struct timespec *timeout, const sigset_t *sigmask)
{
	struct timespec ts;
	int64_t got;

	if (!ft_active() || !timeout || nfds < 0 ||
	    (nfds > 0 && (rfds || wfds || efds)) || !ft_ts_valid(timeout))
		return ft_real.pselect(nfds, rfds, wfds, efds, timeout,
				       sigmask);
	got = decide(ft_ts_to_ns(timeout), CALLER());
	if (got < 0)
		return ft_real.pselect(nfds, rfds, wfds, efds, timeout,
				       sigmask);
	/* With a mask the kernel must still swap it: no shortcut then. */
	if (!sigmask && returned_at_once(got))
		return 0;
	ts = ft_ns_to_ts(got);
	return ft_real.pselect(nfds, rfds, wfds, efds, &ts, sigmask);
}

FT_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds,
		    const struct timespec *timeout, const sigset_t *sigmask)
{
	struct timespec ts;
	int64_t got;

	if (!ft_active() || nfds != 0 || !timeout || !ft_ts_valid(timeout))
		return ft_real.ppoll(fds, nfds, timeout, sigmask);
	got = decide(ft_ts_to_ns(timeout), CALLER());
	if (got < 0)
		return ft_real.ppoll(fds, nfds, timeout, sigmask);
	if (!sigmask && returned_at_once(got))
		return 0;
	ts = ft_ns_to_ts(got);
	return ft_real.ppoll(fds, nfds, &ts, sigmask);
}

FT_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts;
	int64_t got;

	if (!ft_active() || nfds != 0 || timeout < 0)
		return ft_real.poll(fds, nfds, timeout);
	got = decide((int64_t)timeout * 1000000, CALLER());
	if (got < 0)
		return ft_real.poll(fds, nfds, timeout);
	if (returned_at_once(got))
		return 0;
	/* poll() is ppoll() without a mask, with a finer timeout. */
	ts = ft_ns_to_ts(got);
	return ft_real.ppoll(fds, nfds, &ts, NULL);
}
