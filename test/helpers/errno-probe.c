/* SPDX-License-Identifier: MIT */
/*
 * Prints, for calls that must fail or succeed at once, what each returned
 * and errno after it. Its output with and without the library must be the
 * same: invalid arguments fail exactly as libc makes them fail.
 * Every valid sleep here is 0 or 1 us long. With --unlink-self it first
 * deletes its own file, so that the library cannot read the symbols of
 * its frames (FLAKETRAP_SLEEP_ONLY and _SKIP look them up).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define SENTINEL 4242

#define PROBE(label, call)                                                  \
	do {                                                                \
		long r_;                                                    \
		errno = SENTINEL;                                           \
		r_ = (long)(call);                                          \
		printf("%-36s ret=%ld errno=%s\n", label, r_,               \
		       errno == SENTINEL ? "untouched" : strerror(errno));  \
	} while (0)

int main(int argc, char **argv)
{
	struct timespec neg_ns = { 0, -1 }, big_ns = { 0, 1000000000 },
			neg_s = { -1, 0 }, one_us = { 0, 1000 },
			zero = { 0, 0 }, rem = { 7, 7 };
	struct timeval tv_neg = { -1, 0 }, tv_neg_us = { 0, -1 },
		       tv_zero = { 0, 0 }, tv_1us = { 0, 1 };
	clockid_t cpu;

	if (argc > 1 && strcmp(argv[1], "--unlink-self") == 0 &&
	    unlink(argv[0]) != 0) {
		perror("errno-probe: unlink");
		return 2;
	}
	PROBE("nanosleep nsec=-1", nanosleep(&neg_ns, &rem));
	PROBE("nanosleep nsec=1e9", nanosleep(&big_ns, &rem));
	PROBE("nanosleep sec=-1", nanosleep(&neg_s, &rem));
	PROBE("nanosleep 1us", nanosleep(&one_us, &rem));
	PROBE("nanosleep 0", nanosleep(&zero, NULL));
	printf("rem untouched: %d\n", rem.tv_sec == 7 && rem.tv_nsec == 7);
	PROBE("clock_nanosleep bad clock", clock_nanosleep(12345, 0, &one_us,
							   NULL));
	PROBE("clock_nanosleep thread cputime",
	      clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &one_us, NULL));
	/* A valid CPU-time sleep waits for CPU we never burn: bad ones only */
	PROBE("clock_nanosleep process cputime nsec=-1",
	      clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &neg_ns, NULL));
	PROBE("clock_nanosleep process cputime abs past",
	      clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &zero,
			      NULL));
	if (clock_getcpuclockid(0, &cpu) == 0)
		PROBE("clock_nanosleep cpuclockid nsec=1e9",
		      clock_nanosleep(cpu, 0, &big_ns, NULL));
	PROBE("clock_nanosleep monotonic_raw",
	      clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &one_us, NULL));
	PROBE("clock_nanosleep coarse",
	      clock_nanosleep(CLOCK_MONOTONIC_COARSE, 0, &one_us, NULL));
	PROBE("clock_nanosleep nsec=-1",
	      clock_nanosleep(CLOCK_MONOTONIC, 0, &neg_ns, NULL));
	PROBE("clock_nanosleep nsec=1e9 abs",
	      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &big_ns, NULL));
	PROBE("clock_nanosleep sec=-1",
	      clock_nanosleep(CLOCK_REALTIME, 0, &neg_s, NULL));
	PROBE("clock_nanosleep bad flags",
	      clock_nanosleep(CLOCK_REALTIME, 4, &one_us, NULL));
	PROBE("clock_nanosleep abs in the past",
	      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &one_us, NULL));
	PROBE("clock_nanosleep 1us", clock_nanosleep(CLOCK_MONOTONIC, 0,
						     &one_us, NULL));
	PROBE("clock_nanosleep realtime_alarm",
	      clock_nanosleep(CLOCK_REALTIME_ALARM, 0, &one_us, NULL));
	PROBE("clock_nanosleep boottime_alarm",
	      clock_nanosleep(CLOCK_BOOTTIME_ALARM, 0, &one_us, NULL));
	PROBE("thrd_sleep nsec=-1", thrd_sleep(&neg_ns, NULL));
	PROBE("thrd_sleep sec=-1", thrd_sleep(&neg_s, NULL));
	PROBE("thrd_sleep 1us", thrd_sleep(&one_us, NULL));
	PROBE("select sec=-1", select(0, NULL, NULL, NULL, &tv_neg));
	PROBE("select usec=-1", select(0, NULL, NULL, NULL, &tv_neg_us));
	PROBE("select nfds=-1", select(-1, NULL, NULL, NULL, &tv_1us));
	PROBE("select 0", select(0, NULL, NULL, NULL, &tv_zero));
	PROBE("select 1us", select(0, NULL, NULL, NULL, &tv_1us));
	printf("select timeout after: %ld.%06ld\n", (long)tv_1us.tv_sec,
	       (long)tv_1us.tv_usec);
	PROBE("pselect nsec=1e9", pselect(0, NULL, NULL, NULL, &big_ns, NULL));
	PROBE("pselect nfds=-1", pselect(-1, NULL, NULL, NULL, &one_us, NULL));
	PROBE("pselect 1us", pselect(0, NULL, NULL, NULL, &one_us, NULL));
	PROBE("poll nfds=0 0ms", poll(NULL, 0, 0));
	PROBE("ppoll nsec=-1", ppoll(NULL, 0, &neg_ns, NULL));
	PROBE("ppoll 1us", ppoll(NULL, 0, &one_us, NULL));
	PROBE("usleep 1", usleep(1));
	PROBE("usleep 0", usleep(0));
	PROBE("sleep 0", sleep(0));
	PROBE("sigaction bad signal", sigaction(0, NULL, NULL));
	PROBE("sigaction SIGKILL", sigaction(SIGKILL, NULL, NULL));
	PROBE("signal bad signal", signal(-1, SIG_DFL) == SIG_ERR);
	return 0;
}
