/* SPDX-License-Identifier: MIT */
/*
 * churn MODE [N]: the wrappers under contention, where a registry bug shows
 * as a false leak, a crash, a hang or a changed errno.
 *   joins    2 threads create+join N times while 2 create detached threads:
 *            glibc hands a joined thread's pthread_t to the next thread at
 *            once, so a join that looked its record up afterwards would end
 *            the wrong thread's record.
 *   errno    6 threads create+join N times with errno set to 77 around each
 *            call; a new thread must start with errno 0. Prints the counts
 *            of changed errno values.
 *   sigchld  a SIGCHLD handler reaps with waitpid while main forks N
 *            children: the handler must never wait for a lock its own thread
 *            holds.
 * Ends when every thread it made has ended (the tid count back to one).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int rounds = 20000;
static atomic_int bad_create, bad_join, bad_start, reaped;

static void *nothing(void *arg)
{
	return arg;
}

static void *check_errno(void *arg)
{
	if (errno != 0)
		atomic_fetch_add(&bad_start, 1);
	return arg;
}

static void *joiner(void *arg)
{
	pthread_t t;
	int i;

	for (i = 0; i < rounds; i++) {
		errno = 77;
		if (pthread_create(&t, NULL, (i & 1) ? nothing : check_errno,
				   NULL) != 0)
			abort();
		if (errno != 77)
			atomic_fetch_add(&bad_create, 1);
		errno = 77;
		if (pthread_join(t, NULL) != 0)
			abort();
		if (errno != 77)
			atomic_fetch_add(&bad_join, 1);
	}
	return arg;
}

static void *detacher(void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < rounds; i++)
		while (pthread_create(&t, &attr, nothing, NULL) != 0)
			sched_yield();
	return arg;
}

/* Until this process is down to its one thread. */
static void wait_alone(void)
{
	char line[256];
	int threads;
	FILE *f;

	for (;;) {
		threads = 0;
		f = fopen("/proc/self/status", "r");
		if (!f)
			abort();
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Threads: %d", &threads) == 1)
				break;
		fclose(f);
		if (threads == 1)
			return;
		sched_yield();
	}
}

static void on_sigchld(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		atomic_fetch_add(&reaped, 1);
	errno = saved;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t[6];
	int i;

	if (argc < 2)
		return 2;
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (strcmp(argv[1], "joins") == 0) {
		pthread_create(&t[0], NULL, joiner, NULL);
		pthread_create(&t[1], NULL, joiner, NULL);
		pthread_create(&t[2], NULL, detacher, NULL);
		pthread_create(&t[3], NULL, detacher, NULL);
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	} else if (strcmp(argv[1], "errno") == 0) {
		for (i = 0; i < 6; i++)
			pthread_create(&t[i], NULL, joiner, NULL);
		for (i = 0; i < 6; i++)
			pthread_join(t[i], NULL);
		printf("errno changed: create %d join %d start %d\n",
		       atomic_load(&bad_create), atomic_load(&bad_join),
		       atomic_load(&bad_start));
	} else if (strcmp(argv[1], "sigchld") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigchld;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGCHLD, &sa, NULL);
		for (i = 0; i < rounds; i++)
			if (fork() == 0)
				_exit(0);
		/* The last ones may still be running: reap in the open. */
		while (atomic_load(&reaped) < rounds) {
			pid_t pid = waitpid(-1, NULL, 0);

			if (pid > 0)
				atomic_fetch_add(&reaped, 1);
		}
		printf("reaped %d\n", atomic_load(&reaped));
	} else {
		return 2;
	}
	wait_alone();
	return 0;
}
