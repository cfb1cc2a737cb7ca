/* SPDX-License-Identifier: MIT */
/*
 * Interrupts each sleep of argv[1] seconds with a signal and checks the
 * interrupted contract: -1/EINTR (or the error number, or C11's -1), and a
 * remaining time that is sane (0 < rem <= requested). A periodic timer keeps
 * sending SIGALRM, so the signal lands inside every sleep however slow the
 * machine is: no sleep or timing assumption synchronizes anything here.
 * The handler itself sleeps, inside the interrupted wrapper.
 * Exit 0 when all hold.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int failures;
static volatile sig_atomic_t ticks;

#define CHECK(cond, what)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "sig-sleeper: %s: %s\n", what,      \
				#cond);                                     \
			failures++;                                         \
		}                                                           \
	} while (0)

/*
 * Sleeps too, through the wrapper's bookkeeping: the wrappers are
 * async-signal-safe, as nanosleep is. Zero long, so no knob lengthens it.
 */
static void on_tick(int sig)
{
	struct timespec brief = { 0, 0 };
	int saved = errno;

	(void)sig;
	nanosleep(&brief, NULL);
	ticks++;
	errno = saved;
}

/*
 * Linux reports the time left to the timer's hard expiry, the request plus
 * this thread's timer slack (50 us): a signal that lands in the sleep's
 * first microseconds (or is already pending when it starts) leaves a rem
 * a little over the request, and that is the kernel's contract too.
 */
static int sane(const struct timespec *rem, long secs)
{
	long long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);

	if (slack < 0)
		slack = 0;
	return (rem->tv_sec > 0 || rem->tv_nsec > 0) && rem->tv_sec >= 0 &&
	       rem->tv_nsec >= 0 && rem->tv_nsec < 1000000000 &&
	       (long long)rem->tv_sec * 1000000000 + rem->tv_nsec <=
		       (long long)secs * 1000000000 + slack;
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? atol(argv[1]) : 1800;
	struct timespec req = { secs, 0 }, rem, deadline;
	struct itimerspec every = { { 0, 20000000 }, { 0, 20000000 } };
	struct sigaction sa;
	struct sigevent sev;
	struct timeval tv;
	unsigned left;
	timer_t timer;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;	/* no SA_RESTART: sleeps see EINTR */
	sigaction(SIGALRM, &sa, NULL);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) ||
	    timer_settime(timer, 0, &every, NULL)) {
		perror("timer");
		return 2;
	}

	errno = 0;
	CHECK(nanosleep(&req, &rem) == -1 && errno == EINTR, "nanosleep");
	CHECK(sane(&rem, secs), "nanosleep rem");

	errno = 4242;
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
	CHECK(r == EINTR && errno == 4242, "clock_nanosleep");
	CHECK(sane(&rem, secs), "clock_nanosleep rem");

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += secs;
	r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &deadline, NULL);
	CHECK(r == EINTR && errno == 4242, "clock_nanosleep abstime");

	errno = 0;
	left = sleep((unsigned)secs);
	CHECK(left >= 1 && left <= (unsigned)secs && errno == EINTR, "sleep");

	errno = 0;
	if (secs <= 4000)
		CHECK(usleep((useconds_t)(secs * 1000000)) == -1 &&
			      errno == EINTR, "usleep");

	CHECK(thrd_sleep(&req, &rem) == -1, "thrd_sleep");
	CHECK(sane(&rem, secs), "thrd_sleep rem");

	tv.tv_sec = secs;
	tv.tv_usec = 0;
	errno = 0;
	CHECK(select(0, NULL, NULL, NULL, &tv) == -1 && errno == EINTR,
	      "select");
	CHECK((tv.tv_sec > 0 || tv.tv_usec > 0) && tv.tv_sec <= secs,
	      "select timeout left");

	errno = 0;
	CHECK(pselect(0, NULL, NULL, NULL, &req, NULL) == -1 &&
		      errno == EINTR, "pselect");
	errno = 0;
	CHECK(poll(NULL, 0, (int)(secs * 1000)) == -1 && errno == EINTR,
	      "poll");
	errno = 0;
	CHECK(ppoll(NULL, 0, &req, NULL) == -1 && errno == EINTR, "ppoll");

	timer_delete(timer);
	CHECK(ticks > 0, "the timer fired");
	return failures ? 1 : 0;
}
