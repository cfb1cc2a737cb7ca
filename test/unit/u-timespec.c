/* SPDX-License-Identifier: MIT */
/* Unit tests of the time arithmetic and the random stream. */
#include "prng.h"
#include "tap.h"
#include "timespec.h"

int main(void)
{
	struct timespec ts = { 1, 500 }, bad = { 0, 1000000000 },
			neg = { -1, 0 }, negns = { 0, -1 };
	struct timeval tv = { 2, 999999 }, badtv = { 0, 1000000 };
	uint64_t a, b;
	int i, in_range = 1;

	is_int(ft_ts_to_ns(&ts), 1000000500, "timespec to ns");
	ok(ft_ts_valid(&ts) && !ft_ts_valid(&bad) && !ft_ts_valid(&neg) &&
		   !ft_ts_valid(&negns),
	   "timespec validity as the kernel checks it");
	ts.tv_sec = INT64_MAX;
	is_int(ft_ts_to_ns(&ts), INT64_MAX, "huge timespec saturates");
	ts = ft_ns_to_ts(3999999999);
	ok(ts.tv_sec == 3 && ts.tv_nsec == 999999999, "ns to timespec");
	is_int(ft_tv_to_ns(&tv), 2999999000, "timeval to ns");
	ok(ft_tv_valid(&tv) && !ft_tv_valid(&badtv), "timeval validity");
	tv = ft_ns_to_tv(1999);
	ok(tv.tv_sec == 0 && tv.tv_usec == 1, "ns to timeval truncates");
	is_int(ft_ns_add(INT64_MAX - 1, 5), INT64_MAX, "add saturates");
	is_int(ft_ns_scale(1000, 2000000000), 2000, "scale x2");
	is_int(ft_ns_scale(INT64_MAX, 2000000000), INT64_MAX,
	       "scale saturates");
	is_int(ft_ns_scale(3600000000000LL, 10000000), 36000000000LL,
	       "scale x0.01");
	is_int(ft_ns_rescale_rem(50, 100, 1000), 500, "half left is half left");
	is_int(ft_ns_rescale_rem(0, 100, 1000), 0, "nothing left");
	is_int(ft_ns_rescale_rem(200, 100, 1000), 1000,
	       "remainder never exceeds the request");
	is_int(ft_ns_rescale_rem(INT64_MAX / 2, INT64_MAX, INT64_MAX),
	       INT64_MAX / 2, "no overflow on huge values");
	a = ft_prng_at(42, 0);
	b = ft_prng_at(42, 0);
	ok(a == b, "same seed and position, same value");
	ok(ft_prng_at(42, 1) != a && ft_prng_at(43, 0) != a,
	   "other position or seed, other value");
	for (i = 0; i < 10000; i++)
		if (ft_prng_below_incl(ft_prng_at(7, (uint64_t)i), 9) > 9)
			in_range = 0;
	ok(in_range, "draws stay within the bound");
	is_u64(ft_prng_below_incl(UINT64_MAX, 9), 9, "top bits map to bound");
	is_u64(ft_prng_below_incl(0, 9), 0, "zero maps to zero");
	is_u64(ft_prng_below_incl(12345, UINT64_MAX), 12345, "full range");
	return done_testing();
}
