/* SPDX-License-Identifier: MIT */
/*
 * Waits for descriptors with a timeout: epoll_wait, epoll_pwait,
 * epoll_pwait2, poll, ppoll, select, pselect. A timeout longer than the
 * grace waits the grace for real; a descriptor ready by then (or a signal)
 * ends the call as it would have, else the clock jumps to the deadline and
 * the call returns 0, a timeout. No timeout (infinite), a zero one, or one
 * within the grace: the call goes on unchanged.
 * poll/ppoll without descriptors and select/pselect without sets are
 * sleeps: libflaketrap.so, next, shrinks them; the clock then jumps to
 * their end.
 */
#include <errno.h>
#include <limits.h>

#include "warp.h"

/* The grace as a poll/epoll timeout: whole ms, rounded up. */
static int grace_ms(void)
{
	int64_t ms = (ft_warp_grace() + 999999) / 1000000;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* A slice of the idle rule as a poll/epoll timeout: whole ms, rounded up. */
static int slice_ms(int64_t ns)
{
	return (int)((ns + 999999) / 1000000);
}

/*
 * The idle rule's loop for a wait on descriptors: call (which may use
 * ns_, the slice) until it returns anything but 0, a timeout, or the
 * deadline target is reached; errno as the caller left it on a timeout.
 */
#define IDLE_FDS(r, target, call)                                          \
	do {                                                               \
		struct ft_idle idle_;                                      \
		int64_t ns_;                                               \
		int saved_ = errno;                                        \
		int k_;                                                    \
		(r) = 0;                                                   \
		ft_idle_start(&idle_, (target));                           \
		while ((k_ = ft_idle_slice(&idle_, &ns_)) > 0)             \
			if (((r) = (call)) != 0)                           \
				break;                                     \
		ft_idle_stop(&idle_);                                      \
		if (k_ == FT_IDLE_EINTR)                                   \
			(r) = -1, errno = EINTR;                           \
		else if ((r) == 0)                                         \
			errno = saved_;                                    \
	} while (0)

/* Whether the wait until target is the idle rule's (see warp.h). */
static int idle_rule(int64_t target)
{
	return ft_warp_idle_wait(target - ft_warp_now());
}

/*
 * poll, ppoll, select or pselect without descriptors, a sleep of ns: under
 * the idle rule with sleeps left whole, one of its waits (0 at its end,
 * -1 with errno EINTR and *left when a signal cut it); else 1: the
 * caller goes on.
 */
static int idle_no_fds(int64_t ns, int64_t *left)
{
	int64_t target;

	if (!ft_warp_idle_sleeps() || ns <= 0 || !ft_warp_idle_wait(ns) ||
	    (target = ft_warp_target(ns)) < 0)
		return 1;
	return ft_warp_idle_sleep(target, left);
}

/*
 * After a wait of the rule warp timed out: whether to wait again (the
 * interval timer fired first, its signal taken by another thread); else
 * *r is the call's result: -1 with EINTR when the timer's signal came
 * here, 0 when there was no timer before target (the clock then jumps).
 */
static int timer_first(const struct ft_idle *reg, int64_t target, int *r)
{
	switch (ft_warp_itimer_fire_before(target, reg->since)) {
	case FT_ITIMER_HERE:
		*r = -1;
		errno = EINTR;
		return 0;
	case FT_ITIMER_ELSEWHERE:
		return 1;
	}
	return 0;
}

/*
 * After a grace of the rule warp timed out: whether to wait another grace,
 * the interval timer having fired first (its signal taken elsewhere), or
 * an earlier deadline of the tree being still to come (no jump passes
 * it); else *r is the call's result (see timer_first).
 */
static int not_yet(const struct ft_idle *reg, int64_t target, int *r)
{
	return timer_first(reg, target, r) ||
	       (*r == 0 && !ft_idle_first(reg));
}

/* A wait whose timeout (ms) is worth warping; its target then. */
static int warp_ms(int timeout, int64_t *target)
{
	if (timeout <= grace_ms())
		return 0;
	*target = ft_warp_target((int64_t)timeout * 1000000);
	return *target >= 0;
}

/* The same for a timespec timeout; NULL (infinite) or invalid: no. */
static int warp_ts(const struct timespec *timeout, int64_t *target)
{
	if (!timeout || !ft_ts_valid(timeout) ||
	    ft_ts_to_ns(timeout) <= ft_warp_grace())
		return 0;
	*target = ft_warp_target(ft_ts_to_ns(timeout));
	return *target >= 0;
}

FT_WRAP(epoll_wait) __attribute__((symver("epoll_wait@@GLIBC_2.3.2")));
int w_epoll_wait(int ep, struct epoll_event *events, int max, int timeout)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || !warp_ms(timeout, &target))
		return ft_next.epoll_wait(ep, events, max, timeout);
	if (idle_rule(target)) {
		IDLE_FDS(r, target, ft_next.epoll_wait(ep, events, max,
						       slice_ms(ns_)));
		return r;
	}
	ft_idle_start(&reg, target);
	do
		r = ft_next.epoll_wait(ep, events, max, grace_ms());
	while (r == 0 && not_yet(&reg, target, &r));
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(epoll_pwait) __attribute__((symver("epoll_pwait@@GLIBC_2.6")));
int w_epoll_pwait(int ep, struct epoll_event *events, int max, int timeout,
		  const sigset_t *mask)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || !warp_ms(timeout, &target))
		return ft_next.epoll_pwait(ep, events, max, timeout, mask);
	if (idle_rule(target)) {
		IDLE_FDS(r, target, ft_next.epoll_pwait(ep, events, max,
							slice_ms(ns_), mask));
		return r;
	}
	ft_idle_start(&reg, target);
	do
		r = ft_next.epoll_pwait(ep, events, max, grace_ms(), mask);
	while (r == 0 && not_yet(&reg, target, &r));
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(epoll_pwait2) __attribute__((symver("epoll_pwait2@@GLIBC_2.35")));
int w_epoll_pwait2(int ep, struct epoll_event *events, int max,
		   const struct timespec *timeout, const sigset_t *mask)
{
	struct ft_idle reg;
	struct timespec grace;
	int64_t target;
	int r;

	if (!ft_warp_on() || !warp_ts(timeout, &target))
		return ft_next.epoll_pwait2(ep, events, max, timeout, mask);
	if (idle_rule(target)) {
		IDLE_FDS(r, target,
			 ft_next.epoll_pwait2(ep, events, max,
					      (grace = ft_ns_to_ts(ns_), &grace),
					      mask));
		return r;
	}
	grace = ft_ns_to_ts(ft_warp_grace());
	ft_idle_start(&reg, target);
	do
		r = ft_next.epoll_pwait2(ep, events, max, &grace, mask);
	while (r == 0 && not_yet(&reg, target, &r));
	ft_idle_stop(&reg);
	if (r == 0)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(poll) __attribute__((symver("poll@@GLIBC_2.2.5")));
int w_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct ft_idle reg;
	int64_t target;
	int r;

	if (!ft_warp_on() || timeout <= 0)
		return ft_next.poll(fds, nfds, timeout);
	if (nfds == 0) {
		if ((r = idle_no_fds((int64_t)timeout * 1000000, &target)) <= 0)
			return r;
		target = ft_warp_target((int64_t)timeout * 1000000);
		ft_idle_real_begin(&reg, (int64_t)timeout * 1000000);
		r = ft_next.poll(fds, nfds, timeout);
		ft_idle_stop(&reg);
		if (r == 0)
			ft_warp_catch_up(target);
		return r;
	} else {
		if (!warp_ms(timeout, &target))
			return ft_next.poll(fds, nfds, timeout);
		if (idle_rule(target)) {
			IDLE_FDS(r, target,
				 ft_next.poll(fds, nfds, slice_ms(ns_)));
			return r;
		}
		ft_idle_start(&reg, target);
		do
			r = ft_next.poll(fds, nfds, grace_ms());
		while (r == 0 && not_yet(&reg, target, &r));
		ft_idle_stop(&reg);
	}
	if (r == 0)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(ppoll) __attribute__((symver("ppoll@@GLIBC_2.4")));
int w_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	    const sigset_t *mask)
{
	struct ft_idle reg;
	struct timespec grace;
	int64_t target;
	int r;

	if (!ft_warp_on() || !timeout || !ft_ts_valid(timeout))
		return ft_next.ppoll(fds, nfds, timeout, mask);
	if (nfds == 0) {
		/* The mask is the caller's during the sleep: a signal it
		 * leaves open must end it, as ppoll's own would. */
		if (!mask &&
		    (r = idle_no_fds(ft_ts_to_ns(timeout), &target)) <= 0)
			return r;
		target = ft_warp_target(ft_ts_to_ns(timeout));
		ft_idle_real_begin(&reg, ft_ts_to_ns(timeout));
		r = ft_next.ppoll(fds, nfds, timeout, mask);
		ft_idle_stop(&reg);
		if (r == 0)
			ft_warp_catch_up(target);
		return r;
	} else {
		if (!warp_ts(timeout, &target))
			return ft_next.ppoll(fds, nfds, timeout, mask);
		if (idle_rule(target)) {
			IDLE_FDS(r, target,
				 ft_next.ppoll(fds, nfds,
					       (grace = ft_ns_to_ts(ns_), &grace),
					       mask));
			return r;
		}
		grace = ft_ns_to_ts(ft_warp_grace());
		ft_idle_start(&reg, target);
		do
			r = ft_next.ppoll(fds, nfds, &grace, mask);
		while (r == 0 && not_yet(&reg, target, &r));
		ft_idle_stop(&reg);
	}
	if (r == 0)
		ft_warp_jump(target);
	return r;
}

/*
 * The sets a select is given, kept so that each slice of the idle rule
 * waits on them again (a select that times out empties them).
 */
struct fd_sets {
	fd_set r, w, e;
};

static void sets_keep(struct fd_sets *k, fd_set *r, fd_set *w, fd_set *e)
{
	if (r)
		k->r = *r;
	if (w)
		k->w = *w;
	if (e)
		k->e = *e;
}

/* Puts the kept sets back before a slice. */
static void sets_back(const struct fd_sets *k, fd_set *r, fd_set *w,
		     fd_set *e)
{
	if (r)
		*r = k->r;
	if (w)
		*w = k->w;
	if (e)
		*e = k->e;
}

/* select/pselect without any set is a sleep (as libflaketrap.so sees it). */
static int no_sets(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	return nfds == 0 || (!r && !w && !e);
}

FT_WRAP(select) __attribute__((symver("select@@GLIBC_2.2.5")));
int w_select(int nfds, fd_set *restrict rfds, fd_set *restrict wfds,
	     fd_set *restrict efds, struct timeval *restrict timeout)
{
	struct ft_idle reg;
	struct timeval tv;
	int64_t target, left;
	int r, e;

	if (!ft_warp_on() || !timeout || nfds < 0 || !ft_tv_valid(timeout))
		return ft_next.select(nfds, rfds, wfds, efds, timeout);
	left = ft_tv_to_ns(timeout);
	if (no_sets(nfds, rfds, wfds, efds)) {
		if ((r = idle_no_fds(left, &target)) <= 0) {
			/* Linux leaves the unslept time. */
			*timeout = ft_ns_to_tv(r == 0 ? 0 : target);
			return r;
		}
		target = ft_warp_target(left);
		ft_idle_real_begin(&reg, left);
		r = ft_next.select(nfds, rfds, wfds, efds, timeout);
		e = errno;
		ft_idle_stop(&reg);
		/* The next select left the unslept time in *timeout. */
		if (target >= 0 && (r == 0 || (r == -1 && e == EINTR)))
			ft_warp_catch_up(target - ft_tv_to_ns(timeout));
		errno = e;
		return r;
	}
	if (left <= ft_warp_grace() || (target = ft_warp_target(left)) < 0)
		return ft_next.select(nfds, rfds, wfds, efds, timeout);
	if (idle_rule(target)) {
		struct fd_sets kept;

		sets_keep(&kept, rfds, wfds, efds);
		IDLE_FDS(r, target,
			 (sets_back(&kept, rfds, wfds, efds),
			  ft_next.select(nfds, rfds, wfds, efds,
					 (tv = ft_ns_to_tv(ns_), &tv))));
		e = errno;
		/* An error leaves the sets as they were given (a slice
		 * that timed out emptied them). */
		if (r < 0)
			sets_back(&kept, rfds, wfds, efds);
		/* Linux leaves the unslept time: of the caller's deadline. */
		left = target - ft_warp_now();
		*timeout = ft_ns_to_tv(r == 0 || left < 0 ? 0 : left);
		errno = e;
		return r;
	}
	{
		struct fd_sets kept;

		sets_keep(&kept, rfds, wfds, efds);
		ft_idle_start(&reg, target);
		for (;;) {
			tv = ft_ns_to_tv(ft_warp_grace());
			r = ft_next.select(nfds, rfds, wfds, efds, &tv);
			if (r != 0 || !not_yet(&reg, target, &r))
				break;
			sets_back(&kept, rfds, wfds, efds);
		}
		ft_idle_stop(&reg);
		if (r < 0)
			sets_back(&kept, rfds, wfds, efds);
	}
	e = errno;
	if (r == 0) {
		ft_warp_jump(target);
		timeout->tv_sec = timeout->tv_usec = 0;
	} else {
		/* Linux leaves the unslept time: of the caller's deadline,
		 * on the clock an interval timer may have moved. */
		left = target - ft_warp_now();
		*timeout = ft_ns_to_tv(left > 0 ? left : 0);
	}
	errno = e;
	return r;
}

FT_WRAP(pselect) __attribute__((symver("pselect@@GLIBC_2.2.5")));
int w_pselect(int nfds, fd_set *restrict rfds, fd_set *restrict wfds,
	      fd_set *restrict efds, const struct timespec *restrict timeout,
	      const sigset_t *restrict mask)
{
	struct ft_idle reg;
	struct timespec grace;
	int64_t target;
	int r;

	if (!ft_warp_on() || !timeout || nfds < 0 || !ft_ts_valid(timeout))
		return ft_next.pselect(nfds, rfds, wfds, efds, timeout, mask);
	if (no_sets(nfds, rfds, wfds, efds)) {
		if (!mask &&
		    (r = idle_no_fds(ft_ts_to_ns(timeout), &target)) <= 0)
			return r;
		target = ft_warp_target(ft_ts_to_ns(timeout));
		ft_idle_real_begin(&reg, ft_ts_to_ns(timeout));
		r = ft_next.pselect(nfds, rfds, wfds, efds, timeout, mask);
		ft_idle_stop(&reg);
		if (r == 0)
			ft_warp_catch_up(target);
		return r;
	} else {
		if (!warp_ts(timeout, &target))
			return ft_next.pselect(nfds, rfds, wfds, efds,
					       timeout, mask);
		if (idle_rule(target)) {
			struct fd_sets kept;

			sets_keep(&kept, rfds, wfds, efds);
			IDLE_FDS(r, target,
				 (sets_back(&kept, rfds, wfds, efds),
				  ft_next.pselect(
						 nfds, rfds, wfds, efds,
						 (grace = ft_ns_to_ts(ns_),
						  &grace),
						 mask)));
			if (r < 0)
				sets_back(&kept, rfds, wfds, efds);
			return r;
		}
		{
			struct fd_sets kept;

			sets_keep(&kept, rfds, wfds, efds);
			ft_idle_start(&reg, target);
			for (;;) {
				grace = ft_ns_to_ts(ft_warp_grace());
				r = ft_next.pselect(nfds, rfds, wfds, efds,
						    &grace, mask);
				if (r != 0 || !not_yet(&reg, target, &r))
					break;
				sets_back(&kept, rfds, wfds, efds);
			}
			ft_idle_stop(&reg);
			if (r < 0)
				sets_back(&kept, rfds, wfds, efds);
		}
	}
	if (r == 0)
		ft_warp_jump(target);
	return r;
}
