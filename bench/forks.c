/* SPDX-License-Identifier: MIT */
/*
 * forks COUNT: COUNT times fork, the child calling _exit(0) at once, and
 * waitpid for it. The fork is a few frames below main, as in a real
 * program. Prints the nanoseconds the loop took.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void fail(const char *what)
{
	fprintf(stderr, "forks: %s: %s\n", what, strerror(errno));
	exit(1);
}

__attribute__((noinline)) static pid_t fork_one(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		fail("fork");
	return pid;
}

__attribute__((noinline)) static void run(long count)
{
	long i;
	int status;

	for (i = 0; i < count; i++) {
		if (waitpid(fork_one(), &status, 0) < 0)
			fail("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "forks: child status %#x\n", status);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	long long t0, t1;
	long count;

	if (argc != 2) {
		fprintf(stderr, "usage: forks COUNT\n");
		return 2;
	}
	count = bench_count("forks", argv[1]);
	t0 = bench_now_ns();
	run(count);
	t1 = bench_now_ns();
	printf("%lld\n", t1 - t0);
	return 0;
}
