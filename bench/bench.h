/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs share: the clock that times the work (never
 * the process start-up) and the parsing of a count argument.
 */
#ifndef FT_BENCH_H
#define FT_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A positive count, or exit 2 with a message. */
static inline long bench_count(const char *prog, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || n <= 0) {
		fprintf(stderr, "%s: bad count '%s'\n", prog, arg);
		exit(2);
	}
	return n;
}

#endif
