/* SPDX-License-Identifier: MIT */
/*
 * fork from a signal handler, as POSIX allows, while the program mallocs:
 * a SIGALRM timer's handler forks (the child _exits at once) N times and
 * the main loop mallocs and frees meanwhile, reaping with WNOHANG.
 *
 *   sigfork sigaction N    handler set with sigaction
 *   sigfork sigset N       with sigset
 *   sigfork sysv_signal N  with sysv_signal
 *   sigfork bsd_signal N   with bsd_signal
 *   sigfork HOW-late N     HOW, after a first fork from main (which the
 *                          library takes while no handler is set)
 *
 * The last fork's child is left running, blocked on a pipe, and never
 * reaped: the leak whose creation backtrace the test reads. It ends when
 * this process does (the pipe's writer closes). Prints "forked N".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t forks, want, rearm;
static int hold[2];

sighandler_t bsd_signal(int sig, sighandler_t handler);

/*
 * sysv_signal's handler is reset as it runs and does not block its signal:
 * a periodic timer could kill the process before the handler sets itself
 * again. Then the timer fires once and the handler arms it again, last.
 */
static const struct itimerval once = {{0, 0}, {0, 2000}};

static void on_alarm(int sig)
{
	char byte;
	pid_t pid;

	if (rearm)
		sysv_signal(sig, on_alarm);
	if (forks >= want)
		return;
	pid = fork();
	if (pid == 0) {
		if (forks == want - 1) {
			close(hold[1]);
			/* Until our parent's end closes the other side. */
			while (read(hold[0], &byte, 1) < 0)
				;
		}
		_exit(0);
	}
	if (pid > 0)
		forks++;
	/* Last: no second alarm comes while this one runs (no nesting). */
	if (rearm)
		setitimer(ITIMER_REAL, &once, NULL);
}

int main(int argc, char **argv)
{
	struct itimerval every = {{0, 2000}, {0, 2000}}, stop;
	struct sigaction sa;
	void *keep[64] = {0};
	unsigned x = 1;
	int i, reaped = 0;
	size_t len;
	char how[32];
	pid_t first;

	if (argc != 3 || pipe(hold) != 0)
		return 2;
	want = atoi(argv[2]);
	len = strlen(argv[1]);
	if (len >= sizeof(how))
		return 2;
	memcpy(how, argv[1], len + 1);
	if (len > 5 && strcmp(how + len - 5, "-late") == 0) {
		how[len - 5] = '\0';
		first = fork();
		if (first == 0)
			_exit(0);
		if (first < 0 || waitpid(first, NULL, 0) != first)
			return 1;
	}
	if (strcmp(how, "sigaction") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
	} else if (strcmp(how, "sigset") == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		sigset(SIGALRM, on_alarm);
#pragma GCC diagnostic pop
	} else if (strcmp(how, "sysv_signal") == 0) {
		/* Reset to SIG_DFL as it runs: set again each time. */
		rearm = 1;
		sysv_signal(SIGALRM, on_alarm);
	} else if (strcmp(how, "bsd_signal") == 0) {
		bsd_signal(SIGALRM, on_alarm);
	} else {
		return 2;
	}
	setitimer(ITIMER_REAL, rearm ? &once : &every, NULL);
	while (forks < want) {
		x = x * 1103515245u + 12345u;
		free(keep[x % 64]);
		keep[x % 64] = malloc(16 + (x >> 8) % 4000);
		/* Never the last one: it runs until we end. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped++;
	}
	memset(&stop, 0, sizeof(stop));
	setitimer(ITIMER_REAL, &stop, NULL);
	while (reaped < want - 1 && waitpid(-1, NULL, 0) > 0)
		reaped++;
	for (i = 0; i < 64; i++)
		free(keep[i]);
	printf("forked %d\n", (int)forks);
	return 0;
}
