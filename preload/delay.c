/* SPDX-License-Identifier: MIT */
/*
 * Injected delays (FLAKETRAP_*_DELAY): a real pause at a point where a
 * program's timing assumption hides, the hand-made sleeps of the seed's
 * notes turned into knobs. The pause is a plain system call: not the sleep
 * wrappers (a delay is never shrunk), not libc's nanosleep (another preload,
 * a virtual clock, may be behind that name), and it runs to its end through
 * signals, whose handlers run meanwhile as they would on a slow machine:
 * the wrapped call must not fail with EINTR because of us.
 */
#include <errno.h>
#include <sys/syscall.h>

#include "ft.h"
#include "prng.h"
#include "timespec.h"

/* async-signal-safe */
void ft_delay(enum ft_delay_kind kind)
{
	const struct ft_delay *d;
	struct timespec left;
	int64_t ns;
	int saved;

	if (!ft_active() || !ft_delay_on(kind) || !ft_own_process())
		return;
	d = &ft_cfg()->delay[kind];
	ns = d->lo_ns;
	if (d->hi_ns > d->lo_ns)
		ns += (int64_t)ft_prng_below_incl(ft_random(),
						  (uint64_t)(d->hi_ns - d->lo_ns));
	atomic_fetch_add_explicit(&ft_process.counters.delays[kind], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&ft_process.counters.delay_ns[kind],
				  (unsigned long long)ns, memory_order_relaxed);
	saved = errno;
	left = ft_ns_to_ts(ns);
	while (syscall(SYS_nanosleep, &left, &left) == -1 && errno == EINTR)
		;
	ft_errno_keep(saved);
}
