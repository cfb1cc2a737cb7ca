/* SPDX-License-Identifier: MIT */
/*
 * threads COUNT: COUNT times pthread_create, then pthread_join, of a thread
 * that does nothing. The creating call is a few frames below main, as in a
 * real program, so a creation backtrace has frames to walk. Prints the
 * nanoseconds the loop took.
 */
#include <pthread.h>
#include <string.h>

#include "bench.h"

static void *empty(void *arg)
{
	return arg;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "threads: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Code after each call keeps it from being a tail call: every frame stays. */
__attribute__((noinline)) static pthread_t spawn_one(void)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, empty, NULL);

	if (err)
		fail("pthread_create", err);
	return t;
}

__attribute__((noinline)) static void run(long count)
{
	long i;
	int err;

	for (i = 0; i < count; i++) {
		err = pthread_join(spawn_one(), NULL);
		if (err)
			fail("pthread_join", err);
	}
}

int main(int argc, char **argv)
{
	long long t0, t1;
	long count;

	if (argc != 2) {
		fprintf(stderr, "usage: threads COUNT\n");
		return 2;
	}
	count = bench_count("threads", argv[1]);
	t0 = bench_now_ns();
	run(count);
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
