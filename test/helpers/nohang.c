/* SPDX-License-Identifier: MIT */
/*
 * Each wait-family call that takes options, once with WNOHANG, in a process
 * without children: each must fail with ECHILD as without flaketrap, delay
 * or not. Prints one line per call: name, return value, errno name.
 * "nohang alarm": a timer signal (handler without SA_RESTART) is due 20 ms
 * into the first call: a delay there must not turn its ECHILD into EINTR.
 */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void show(const char *name, long ret)
{
	printf("%s %ld %s\n", name, ret, ret == -1 && errno == ECHILD ? "ECHILD"
				      : strerror(errno));
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(int argc, char **argv)
{
	struct itimerval due = { { 0, 0 }, { 0, 20000 } };
	struct sigaction sa;
	siginfo_t info;
	int status;

	if (argc > 1 && strcmp(argv[1], "alarm") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		if (sigaction(SIGALRM, &sa, NULL) ||
		    setitimer(ITIMER_REAL, &due, NULL))
			return 2;
	}

	errno = 0;
	show("waitpid", waitpid(-1, &status, WNOHANG));
	errno = 0;
	show("wait3", wait3(&status, WNOHANG, NULL));
	errno = 0;
	show("wait4", wait4(-1, &status, WNOHANG, NULL));
	errno = 0;
	show("waitid", waitid(P_ALL, 0, &info, WEXITED | WNOHANG));
	if (argc > 1)
		printf("alarms %d\n", (int)alarms);
	return 0;
}
