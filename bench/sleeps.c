/* SPDX-License-Identifier: MIT */
/*
 * sleeps MODE COUNT [NS]: COUNT calls of one function of the sleep family,
 * each asking for NS nanoseconds (default 0):
 *   nanosleep        nanosleep
 *   usleep           usleep (NS / 1000 microseconds)
 *   clock_nanosleep  clock_nanosleep(CLOCK_MONOTONIC), relative
 *   select           select without descriptors (the old sleep idiom)
 * Prints the nanoseconds the loop took, measured with CLOCK_MONOTONIC by
 * the program itself; under a library that fakes the clocks (libfaketime),
 * time it from outside instead (spawn start 1 ...).
 */
#include <errno.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "bench.h"

static void fail(const char *what, int err)
{
	fprintf(stderr, "sleeps: %s: %s\n", what, strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	struct timespec req;
	struct timeval tv;
	long long t0, t1, ns = 0;
	long count, i;
	int err;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: sleeps nanosleep|usleep|clock_nanosleep"
				"|select COUNT [NS]\n");
		return 2;
	}
	count = bench_count("sleeps", argv[2]);
	if (argc == 4 && strcmp(argv[3], "0") != 0)
		ns = bench_count("sleeps", argv[3]);
	req.tv_sec = ns / 1000000000;
	req.tv_nsec = ns % 1000000000;
	t0 = bench_now_ns();
	if (!strcmp(argv[1], "nanosleep")) {
		for (i = 0; i < count; i++)
			if (nanosleep(&req, NULL) != 0)
				fail("nanosleep", errno);
	} else if (!strcmp(argv[1], "usleep")) {
		for (i = 0; i < count; i++)
			if (usleep((useconds_t)(ns / 1000)) != 0)
				fail("usleep", errno);
	} else if (!strcmp(argv[1], "clock_nanosleep")) {
		for (i = 0; i < count; i++)
			if ((err = clock_nanosleep(CLOCK_MONOTONIC, 0, &req,
						   NULL)))
				fail("clock_nanosleep", err);
	} else if (!strcmp(argv[1], "select")) {
		for (i = 0; i < count; i++) {
			tv.tv_sec = ns / 1000000000;
			tv.tv_usec = ns % 1000000000 / 1000;
			if (select(0, NULL, NULL, NULL, &tv) != 0)
				fail("select", errno);
		}
	} else {
		fprintf(stderr, "sleeps: unknown mode %s\n", argv[1]);
		return 2;
	}
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
