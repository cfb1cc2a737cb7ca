/* SPDX-License-Identifier: MIT */
/*
 * exit-threads COUNT [CHILDREN]: starts CHILDREN processes (default 0) and
 * COUNT threads that block reading a pipe nobody writes, says "ready" on
 * stdout, waits for a byte on stdin, then calls exit(0) with every thread
 * and child still running: under the library each is a leak (a thread's
 * current stack taken, a child's command line read). The children end
 * when this process has ended (the pipe's last writer gone), unreaped.
 * `spawn exit` times the exit from the outside.
 *
 * exit-threads COUNT CHILDREN clean: the same threads and children, all
 * ended, joined and reaped before "ready": an exit with nothing to report,
 * the common case.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static int never_written;
static pthread_barrier_t started;
static pthread_t *threads;
static long nthreads;

static void fail(const char *what, int err)
{
	fprintf(stderr, "exit-threads: %s: %s\n", what, strerror(err));
	exit(1);
}

static void *block_in_read(void *arg)
{
	char c;

	pthread_barrier_wait(&started);
	while (read(never_written, &c, 1) < 0 && errno == EINTR)
		;
	return arg;
}

__attribute__((noinline)) static void start_one(const pthread_attr_t *attr)
{
	pthread_t t;
	int err = pthread_create(&t, attr, block_in_read, NULL);

	if (err)
		fail("pthread_create", err);
	threads[nthreads++] = t;
}

/* Every thread and child gone: EOF on the pipe ends them all. */
static void end_all(int write_end)
{
	long i;
	int err;

	close(write_end);
	for (i = 0; i < nthreads; i++) {
		err = pthread_join(threads[i], NULL);
		if (err)
			fail("pthread_join", err);
	}
	while (wait(NULL) > 0)
		;
}

/* Small stacks: a thousand threads, memory spared; the stack size does not
 * change what is measured. */
__attribute__((noinline)) static void start_all(long count)
{
	pthread_attr_t attr;
	long i;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < count; i++)
		start_one(&attr);
	pthread_attr_destroy(&attr);
}

/* A child that waits for the end of its parent: EOF on the pipe. */
__attribute__((noinline)) static void start_child(int write_end)
{
	pid_t pid = fork();
	char c;

	if (pid < 0)
		fail("fork", errno);
	if (pid > 0)
		return;
	close(write_end);
	while (read(never_written, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	long count, children = 0, i;
	int fds[2], clean;
	char c;
	ssize_t n;

	clean = argc == 4 && strcmp(argv[3], "clean") == 0;
	if (argc < 2 || argc > 4 || (argc == 4 && !clean)) {
		fprintf(stderr,
			"usage: exit-threads COUNT [CHILDREN [clean]]\n");
		return 2;
	}
	count = bench_count("exit-threads", argv[1]);
	if (argc >= 3 && strcmp(argv[2], "0") != 0)
		children = bench_count("exit-threads", argv[2]);
	threads = calloc((size_t)count, sizeof(*threads));
	if (!threads)
		fail("calloc", errno);
	if (pipe(fds) != 0)
		fail("pipe", errno);
	never_written = fds[0];
	for (i = 0; i < children; i++)
		start_child(fds[1]);
	/* Every thread has its tid and is on its way into read(). */
	pthread_barrier_init(&started, NULL, (unsigned)count + 1);
	start_all(count);
	pthread_barrier_wait(&started);
	if (clean)
		end_all(fds[1]);
	if (write(1, "ready\n", 6) != 6)
		fail("write", errno);
	do
		n = read(0, &c, 1);
	while (n < 0 && errno == EINTR);
	exit(0);
}
