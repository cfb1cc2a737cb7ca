/* SPDX-License-Identifier: MIT */
/*
 * clocks MODE COUNT: COUNT clock readings or timed waits that end at once,
 * what FLAKETRAP_TIMERS=warp wraps and must leave at native speed when off:
 *   gettime  clock_gettime(CLOCK_MONOTONIC)
 *   poll     poll of a ready pipe, timeout 1 s
 *   cond     pthread_cond_timedwait with a deadline already past
 * Prints the nanoseconds the loop took.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void fail(const char *what)
{
	fprintf(stderr, "clocks: %s failed\n", what);
	exit(1);
}

int main(int argc, char **argv)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec ts, past = { 1, 0 };
	struct pollfd p;
	long long t0, t1;
	long count, i;
	int fds[2];

	if (argc != 3) {
		fprintf(stderr, "usage: clocks gettime|poll|cond COUNT\n");
		return 2;
	}
	count = bench_count("clocks", argv[2]);
	if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1)
		fail("pipe");
	p.fd = fds[0];
	p.events = POLLIN;
	pthread_mutex_lock(&m);
	t0 = bench_now_ns();
	if (!strcmp(argv[1], "gettime")) {
		for (i = 0; i < count; i++)
			if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
				fail("clock_gettime");
	} else if (!strcmp(argv[1], "poll")) {
		for (i = 0; i < count; i++)
			if (poll(&p, 1, 1000) != 1)
				fail("poll");
	} else if (!strcmp(argv[1], "cond")) {
		for (i = 0; i < count; i++)
			if (pthread_cond_timedwait(&c, &m, &past) != ETIMEDOUT)
				fail("pthread_cond_timedwait");
	} else {
		fprintf(stderr, "clocks: unknown mode %s\n", argv[1]);
		return 2;
	}
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
