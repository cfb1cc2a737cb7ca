/* SPDX-License-Identifier: MIT */
/*
 * sleep-sites COUNT: COUNT usleep(1000) calls spread over four call sites, two
 * calls deep. Under the library each is shrunk to nothing: what is left is
 * the wrapper's own cost, and with FLAKETRAP_LOG or a pattern, the cost of
 * finding and counting the sleep's site. Run under the library only
 * (without it, COUNT ms of sleeping). Prints the nanoseconds the loop took.
 */
#include <unistd.h>

#include "bench.h"

static volatile long calls;

#define SITE(name)                                                  \
	__attribute__((noinline)) static void name(void)            \
	{                                                           \
		if (usleep(1000) != 0) {                            \
			fprintf(stderr, "sleep-sites: usleep failed\n"); \
			exit(1);                                    \
		}                                                   \
		calls++;                                            \
	}
SITE(site_a)
SITE(site_b)
SITE(site_c)
SITE(site_d)

static void (*const sites[4])(void) = { site_a, site_b, site_c, site_d };

__attribute__((noinline)) static void step(long i)
{
	sites[i & 3]();
}

int main(int argc, char **argv)
{
	long long t0, t1;
	long count, i;

	if (argc != 2) {
		fprintf(stderr, "usage: sleep-sites COUNT\n");
		return 2;
	}
	count = bench_count("sleep-sites", argv[1]);
	t0 = bench_now_ns();
	for (i = 0; i < count; i++)
		step(i);
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
