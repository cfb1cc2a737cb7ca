/* SPDX-License-Identifier: MIT */
/*
 * Calls each wrapped sleep with a long duration (argv[1] seconds, default
 * 3600) and checks each success contract: return value, rem/timeout left
 * as libc leaves them, errno untouched. Exit 0 when all hold. Without the
 * library this takes hours: tests run it under flaketrap only.
 * Optional argv[2]: run only the call of that name.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int failures;
static const char *only;

#define CHECK(cond, what)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "sleeper: %s: %s\n", what, #cond);  \
			failures++;                                         \
		}                                                           \
	} while (0)

static int want(const char *name)
{
	return !only || strcmp(only, name) == 0;
}

static void relative_clock(clockid_t clk, const char *name, long secs)
{
	struct timespec req = { secs, 0 }, rem = { 7, 7 };

	if (!want(name))
		return;
	errno = 4242;
	CHECK(clock_nanosleep(clk, 0, &req, &rem) == 0, name);
	CHECK(errno == 4242 && rem.tv_sec == 7 && rem.tv_nsec == 7, name);
}

static void absolute_clock(clockid_t clk, const char *name, long secs)
{
	struct timespec deadline;

	if (!want(name))
		return;
	clock_gettime(clk, &deadline);
	deadline.tv_sec += secs;
	errno = 4242;
	CHECK(clock_nanosleep(clk, TIMER_ABSTIME, &deadline, NULL) == 0, name);
	CHECK(errno == 4242, name);
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? atol(argv[1]) : 3600;
	struct timespec req = { secs, 0 }, rem = { 7, 7 };
	struct timeval tv = { secs, 0 };

	only = argc > 2 ? argv[2] : NULL;
	errno = 4242;
	if (want("sleep"))
		CHECK(sleep((unsigned)secs) == 0 && errno == 4242, "sleep");
	if (want("usleep"))
		CHECK(usleep((useconds_t)(secs * 1000000)) == 0 &&
			      errno == 4242, "usleep");
	if (want("nanosleep")) {
		CHECK(nanosleep(&req, &rem) == 0, "nanosleep");
		CHECK(errno == 4242 && rem.tv_sec == 7, "nanosleep");
	}
	relative_clock(CLOCK_REALTIME, "clock_nanosleep_realtime", secs);
	relative_clock(CLOCK_MONOTONIC, "clock_nanosleep_monotonic", secs);
	relative_clock(CLOCK_BOOTTIME, "clock_nanosleep_boottime", secs);
	relative_clock(CLOCK_TAI, "clock_nanosleep_tai", secs);
	absolute_clock(CLOCK_MONOTONIC, "clock_nanosleep_abs_monotonic", secs);
	absolute_clock(CLOCK_REALTIME, "clock_nanosleep_abs_realtime", secs);
	if (want("thrd_sleep")) {
		rem.tv_sec = 7;
		CHECK(thrd_sleep(&req, &rem) == 0 && rem.tv_sec == 7,
		      "thrd_sleep");
	}
	if (want("select")) {
		CHECK(select(0, NULL, NULL, NULL, &tv) == 0, "select");
		/* Linux leaves the unslept time: none after a timeout. */
		CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "select");
	}
	if (want("pselect"))
		CHECK(pselect(0, NULL, NULL, NULL, &req, NULL) == 0 &&
			      req.tv_sec == secs, "pselect");
	if (want("poll"))
		CHECK(poll(NULL, 0, (int)(secs * 1000)) == 0, "poll");
	if (want("ppoll"))
		CHECK(ppoll(NULL, 0, &req, NULL) == 0 && req.tv_sec == secs,
		      "ppoll");
	CHECK(errno == 4242, "errno after all calls");
	return failures ? 1 : 0;
}
