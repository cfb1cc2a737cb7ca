/* SPDX-License-Identifier: MIT */
/* Time arithmetic for the sleep wrappers: integers only, saturating. */
#include "timespec.h"

int ft_ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 &&
	       ts->tv_nsec < FT_NS_PER_S;
}

int64_t ft_ts_to_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / FT_NS_PER_S)
		return INT64_MAX;
	return (int64_t)ts->tv_sec * FT_NS_PER_S + ts->tv_nsec;
}

struct timespec ft_ns_to_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / FT_NS_PER_S);
	ts.tv_nsec = (long)(ns % FT_NS_PER_S);
	return ts;
}

int ft_tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

int64_t ft_tv_to_ns(const struct timeval *tv)
{
	if (tv->tv_sec >= INT64_MAX / FT_NS_PER_S)
		return INT64_MAX;
	return (int64_t)tv->tv_sec * FT_NS_PER_S +
	       (int64_t)tv->tv_usec * 1000;
}

struct timeval ft_ns_to_tv(int64_t ns)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ns / FT_NS_PER_S);
	tv.tv_usec = (suseconds_t)(ns % FT_NS_PER_S / 1000);
	return tv;
}

int64_t ft_ns_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t ft_ns_scale(int64_t ns, uint64_t ppb)
{
	unsigned __int128 v = (unsigned __int128)ns * ppb / 1000000000U;

	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t ft_ns_rescale_rem(int64_t left, int64_t done_of, int64_t req)
{
	unsigned __int128 v;

	if (left <= 0 || done_of <= 0)
		return 0;
	if (left >= done_of)
		return req;
	v = (unsigned __int128)left * (uint64_t)req / (uint64_t)done_of;
	return (int64_t)v;
}
