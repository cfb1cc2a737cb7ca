/* SPDX-License-Identifier: MIT */
/*
 * Two threads draw delays of different kinds, in an order set by argv[1]
 * ("ab": A first, "ba": B first), kept by a pipe: A polls waitpid(WNOHANG)
 * three times (FLAKETRAP_WAITPID_DELAY), B forks once
 * (FLAKETRAP_FORK_DELAY_PARENT). With a random stream per thread the
 * draws are the same whatever the order; with one stream per process, the
 * kinds would swap values. Run it through an env variable, not argv, for
 * argv enters the process's key: STREAMS_ORDER=ab|ba.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int a_done[2], b_done[2];
static int a_first;

static void *thread_a(void *arg)
{
	char c;
	int i, status;

	(void)arg;
	if (!a_first && read(b_done[0], &c, 1) != 1)
		abort();
	for (i = 0; i < 3; i++)
		waitpid(-1, &status, WNOHANG);
	if (write(a_done[1], "a", 1) != 1)
		abort();
	return NULL;
}

static void *thread_b(void *arg)
{
	char c;
	int status;
	pid_t pid;

	(void)arg;
	if (a_first && read(a_done[0], &c, 1) != 1)
		abort();
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		abort();
	if (write(b_done[1], "b", 1) != 1)
		abort();
	return NULL;
}

int main(void)
{
	const char *order = getenv("STREAMS_ORDER");
	pthread_t a, b;

	if (!order || (strcmp(order, "ab") && strcmp(order, "ba")))
		return 2;
	a_first = order[0] == 'a';
	if (pipe(a_done) || pipe(b_done) ||
	    pthread_create(&a, NULL, thread_a, NULL) ||
	    pthread_create(&b, NULL, thread_b, NULL) ||
	    pthread_join(a, NULL) || pthread_join(b, NULL))
		return 2;
	return 0;
}
