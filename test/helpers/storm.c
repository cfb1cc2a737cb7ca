/* SPDX-License-Identifier: MIT */
/*
 * storm [THREADS] [ROUNDS]: fork from a multithreaded program, hard. THREADS
 * threads each, ROUNDS times, create a thread that forks once itself, fork a
 * child, reap it and join the thread, while the main thread forks and reaps
 * too until they are done. Every child ends at once with _exit. A lock of
 * the library held across fork would hang a child; a registry not reset in
 * the child would report false leaks. Prints "storm done" at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int rounds = 2000;
static atomic_int running;

static void fork_and_reap(void)
{
	pid_t pid = fork(), got;
	int status = 0;

	if (pid < 0) {
		perror("fork");
		exit(99);
	}
	if (pid == 0)
		_exit(0);
	got = waitpid(pid, &status, 0);
	if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* What went wrong, to tell a crash from a lost child. */
		fprintf(stderr, "storm: child %d ended badly: waitpid %d "
			"(%s), status %#x\n", (int)pid, (int)got,
			got < 0 ? strerror(errno) : "ok", status);
		exit(98);
	}
}

static void *forking_thread(void *arg)
{
	(void)arg;
	fork_and_reap();
	return NULL;
}

static void *worker(void *arg)
{
	pthread_t t;
	int i;

	(void)arg;
	for (i = 0; i < rounds; i++) {
		if (pthread_create(&t, NULL, forking_thread, NULL) != 0) {
			perror("pthread_create");
			exit(97);
		}
		fork_and_reap();
		pthread_join(t, NULL);
	}
	atomic_fetch_sub(&running, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 8, i;
	pthread_t *threads;

	if (argc > 2)
		rounds = atoi(argv[2]);
	threads = calloc((size_t)nthreads, sizeof(*threads));
	atomic_store(&running, nthreads);
	for (i = 0; i < nthreads; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	while (atomic_load(&running) > 0)
		fork_and_reap();
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	puts("storm done");
	return 0;
}
