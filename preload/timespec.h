/* SPDX-License-Identifier: MIT */
/*
 * Pure time arithmetic in integer nanoseconds, clamped instead of
 * overflowing. Every function is async-signal-safe.
 */
#ifndef FT_TIMESPEC_H
#define FT_TIMESPEC_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define FT_NS_PER_S 1000000000LL

/* 1 if ts is a valid duration or deadline (tv_sec >= 0, 0 <= nsec < 1e9). */
int ft_ts_valid(const struct timespec *ts);
/* ts in ns, saturated at INT64_MAX; ts must be valid. */
int64_t ft_ts_to_ns(const struct timespec *ts);
struct timespec ft_ns_to_ts(int64_t ns);
/* Same for a timeval (select). */
int ft_tv_valid(const struct timeval *tv);
int64_t ft_tv_to_ns(const struct timeval *tv);
struct timeval ft_ns_to_tv(int64_t ns);
/* a + b saturated at INT64_MAX (both >= 0). */
int64_t ft_ns_add(int64_t a, int64_t b);
/* ns * ppb / 1e9 saturated at INT64_MAX. */
int64_t ft_ns_scale(int64_t ns, uint64_t ppb);
/*
 * What the caller's remainder is when our sleep of `done_of` ns was cut
 * with `left` ns to go: the same fraction of the caller's request `req`.
 */
int64_t ft_ns_rescale_rem(int64_t left, int64_t done_of, int64_t req);

#endif
