/* SPDX-License-Identifier: MIT */
/*
 * fork from a signal handler, as POSIX allows, while the program mallocs:
 * a SIGALRM timer's handler forks (the child _exits at once) N times and
 * the main loop mallocs and frees meanwhile, reaping with WNOHANG.
 *
 *   sigfork sigaction N  handler set with sigaction (a wrapper we keep)
 *   sigfork sigset N     handler set with sigset (a glibc path we do not
 *                        wrap)
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

static volatile sig_atomic_t forks, want;
static int hold[2];

static void on_alarm(int sig)
{
	char byte;
	pid_t pid;

	(void)sig;
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
}

int main(int argc, char **argv)
{
	struct itimerval every = {{0, 2000}, {0, 2000}}, stop;
	struct sigaction sa;
	void *keep[64] = {0};
	unsigned x = 1;
	int i, reaped = 0;

	if (argc != 3 || pipe(hold) != 0)
		return 2;
	want = atoi(argv[2]);
	if (strcmp(argv[1], "sigaction") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
	} else if (strcmp(argv[1], "sigset") == 0) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		sigset(SIGALRM, on_alarm);
#pragma GCC diagnostic pop
	} else {
		return 2;
	}
	setitimer(ITIMER_REAL, &every, NULL);
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
