/* SPDX-License-Identifier: MIT */
/*
 * locks MODE COUNT: the calls FLAKETRAP_CHAOS=on wraps, which the library
 * alone must leave at native speed:
 *   mutex  two threads, each COUNT lock and unlock of one shared mutex
 *   pipe   COUNT writes of a byte to a pipe, each read back
 * Prints the nanoseconds the work took (thread start-up included).
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;
static volatile long shared;

static void *locker(void *unused)
{
	long i;

	(void)unused;
	for (i = 0; i < count; i++) {
		pthread_mutex_lock(&lock);
		shared++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	long long t0, t1;
	int fds[2], i;
	long n;
	char c;

	if (argc != 3) {
		fprintf(stderr, "usage: locks mutex|pipe COUNT\n");
		return 2;
	}
	count = bench_count("locks", argv[2]);
	if (pipe(fds) != 0) {
		fprintf(stderr, "locks: pipe failed\n");
		return 1;
	}
	t0 = bench_now_ns();
	if (!strcmp(argv[1], "mutex")) {
		for (i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, locker, NULL);
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
	} else if (!strcmp(argv[1], "pipe")) {
		for (n = 0; n < count; n++)
			if (write(fds[1], "x", 1) != 1 ||
			    read(fds[0], &c, 1) != 1) {
				fprintf(stderr, "locks: pipe I/O failed\n");
				return 1;
			}
	} else {
		fprintf(stderr, "locks: unknown mode %s\n", argv[1]);
		return 2;
	}
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
