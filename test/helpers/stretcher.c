/* SPDX-License-Identifier: MIT */
/*
 * stretcher MIN_NS [NAME]: calls each wrapped sleep with a tiny request
 * (1 us; poll and an absolute deadline 1 ms; sleep, only when named, 1 s)
 * and checks that it lasted at least MIN_NS. Run under a knob that
 * lengthens sleeps, this proves each wrapper passes the changed duration to
 * the kernel, not only to the counters. A minimum, never a maximum.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static long long min_ns;
static const char *only;
static int failures;
static struct timespec t0;

static int want(const char *name)
{
	return only ? strcmp(only, name) == 0 : strcmp(name, "sleep") != 0;
}

static void start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &t0);
}

static long long lasted(void)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0.tv_sec) * 1000000000 +
	       (t1.tv_nsec - t0.tv_nsec);
}

static void check(const char *name)
{
	long long ns = lasted();

	if (ns < min_ns) {
		fprintf(stderr, "stretcher: %s lasted %lld ns, less than %lld\n",
			name, ns, min_ns);
		failures++;
	}
}

#define TIMED(name, call)                                                   \
	do {                                                                \
		if (want(name)) {                                           \
			start();                                            \
			(void)(call);                                       \
			check(name);                                        \
		}                                                           \
	} while (0)

int main(int argc, char **argv)
{
	struct timespec us = { 0, 1000 }, deadline;
	struct timeval tv = { 0, 1 };
	int tries;

	if (argc < 2) {
		fprintf(stderr, "usage: stretcher MIN_NS [NAME]\n");
		return 2;
	}
	min_ns = atoll(argv[1]);
	only = argc > 2 ? argv[2] : NULL;
	TIMED("sleep", sleep(1));
	TIMED("usleep", usleep(1));
	TIMED("nanosleep", nanosleep(&us, NULL));
	TIMED("clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, 0, &us,
						 NULL));
	/*
	 * A deadline already past when the wrapper reads the clock is a zero
	 * sleep, never lengthened: a process preempted for 1 ms between
	 * taking the deadline and the call (a loaded machine) sees one. Three
	 * tries: a wrapper that never lengthens fails all three.
	 */
	for (tries = 0; want("clock_nanosleep_abs") && tries < 3; tries++) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		start();
		clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &deadline, NULL);
		if (lasted() >= min_ns || tries == 2) {
			check("clock_nanosleep_abs");
			break;
		}
	}
	TIMED("thrd_sleep", thrd_sleep(&us, NULL));
	TIMED("select", select(0, NULL, NULL, NULL, &tv));
	TIMED("pselect", pselect(0, NULL, NULL, NULL, &us, NULL));
	TIMED("poll", poll(NULL, 0, 1));
	TIMED("ppoll", ppoll(NULL, 0, &us, NULL));
	return failures ? 1 : 0;
}
