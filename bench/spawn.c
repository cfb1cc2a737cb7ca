/* SPDX-License-Identifier: MIT */
/*
 * spawn: runs other programs and times them from the outside, itself never
 * under the library (the -e settings go to the child only).
 *
 *   spawn [-e NAME=VALUE]... start COUNT CMD [ARG]...
 *	COUNT times fork, exec CMD, waitpid: process start-up and end.
 *   spawn [-e NAME=VALUE]... exit CMD [ARG]...
 *	runs CMD with a pipe on its stdin and stdout and its stderr on
 *	/dev/null; once CMD writes a line, writes one byte to it and times
 *	from there until waitpid returns: how long CMD takes to end. Then
 *	(untimed) reads CMD's stdout to its end: the processes CMD left
 *	behind with it have ended too, their logs written.
 *
 * Prints the nanoseconds measured; exit 1 when CMD fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static void fail(const char *what)
{
	fprintf(stderr, "spawn: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* environ with each NAME=VALUE of sets (n of them) put in. */
static char **child_env(char **sets, int n)
{
	char **env;
	size_t count = 0, k = 0, j, len;
	int i, dup;

	while (environ[count])
		count++;
	env = calloc(count + (size_t)n + 1, sizeof(*env));
	if (!env)
		fail("calloc");
	for (j = 0; j < count; j++) {
		dup = 0;
		for (i = 0; i < n; i++) {
			len = (size_t)(strchr(sets[i], '=') - sets[i]) + 1;
			if (strncmp(environ[j], sets[i], len) == 0)
				dup = 1;
		}
		if (!dup)
			env[k++] = environ[j];
	}
	for (i = 0; i < n; i++)
		env[k++] = sets[i];
	return env;
}

static void check_status(int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawn: child status %#x\n", status);
		exit(1);
	}
}

static pid_t run(char **argv, char **env, int in, int out, int err)
{
	pid_t pid = fork();

	if (pid < 0)
		fail("fork");
	if (pid > 0)
		return pid;
	if ((in >= 0 && dup2(in, 0) < 0) || (out >= 0 && dup2(out, 1) < 0) ||
	    (err >= 0 && dup2(err, 2) < 0))
		_exit(126);
	execve(argv[0], argv, env);
	_exit(127);
}

static long long start(long count, char **argv, char **env)
{
	long long t0 = bench_now_ns();
	long i;
	int status;

	for (i = 0; i < count; i++) {
		if (waitpid(run(argv, env, -1, -1, -1), &status, 0) < 0)
			fail("waitpid");
		check_status(status);
	}
	return bench_now_ns() - t0;
}

static long long end(char **argv, char **env)
{
	int go[2], ready[2], null, status;
	long long t0, t1;
	pid_t pid;
	char c;
	ssize_t n;

	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null < 0 || pipe2(go, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		fail("setting up");
	pid = run(argv, env, go[0], ready[1], null);
	close(go[0]);
	close(ready[1]);
	close(null);
	do
		n = read(ready[0], &c, 1);
	while ((n < 0 && errno == EINTR) || (n == 1 && c != '\n'));
	if (n != 1) {
		fprintf(stderr, "spawn: %s said nothing\n", argv[0]);
		exit(1);
	}
	t0 = bench_now_ns();
	if (write(go[1], "g", 1) != 1)
		fail("write");
	if (waitpid(pid, &status, 0) < 0)
		fail("waitpid");
	t1 = bench_now_ns();
	check_status(status);
	while ((n = read(ready[0], &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			fail("read");
	close(ready[0]);
	return t1 - t0;
}

static int usage(void)
{
	fprintf(stderr, "usage: spawn [-e NAME=VALUE]... start COUNT CMD [ARG]...\n"
			"       spawn [-e NAME=VALUE]... exit CMD [ARG]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	char **sets = calloc((size_t)argc, sizeof(*sets)), **env;
	int nsets = 0, i = 1;
	long long ns;

	if (!sets)
		fail("calloc");
	while (i + 1 < argc && strcmp(argv[i], "-e") == 0) {
		if (!strchr(argv[i + 1], '='))
			return usage();
		sets[nsets++] = argv[i + 1];
		i += 2;
	}
	env = child_env(sets, nsets);
	if (i + 2 < argc && strcmp(argv[i], "start") == 0)
		ns = start(bench_count("spawn", argv[i + 1]), argv + i + 2, env);
	else if (i + 1 < argc && strcmp(argv[i], "exit") == 0)
		ns = end(argv + i + 1, env);
	else
		return usage();
	printf("%lld\n", ns);
	return 0;
}
