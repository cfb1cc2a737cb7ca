/* SPDX-License-Identifier: MIT */
/*
 * crowd N: N children, released together by closing one pipe, each leave a
 * thread running (so each writes start, leaked_thread with its stacks, and
 * exit) and end. The parent reaps them all and prints how many ended well.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int hold[2];

static void *blocked_in_crowd_thread(void *arg)
{
	char c;
	int *ready = arg;

	if (write(ready[1], "r", 1) != 1)
		_exit(96);
	while (read(hold[0], &c, 1) != 0)
		;
	return NULL;
}

static void child(int go)
{
	int ready[2];
	pthread_t t;
	char c;

	if (read(go, &c, 1) != 0 || pipe(ready) != 0 ||
	    pthread_create(&t, NULL, blocked_in_crowd_thread, ready) != 0 ||
	    read(ready[0], &c, 1) != 1)
		_exit(95);
	exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300, i, ok = 0, status, go[2];
	pid_t pid;

	if (pipe(hold) != 0 || pipe(go) != 0)
		return 99;
	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 98;
		}
		if (pid == 0) {
			close(go[1]);
			child(go[0]);
		}
	}
	close(go[1]);	/* all at once */
	while ((pid = wait(&status)) > 0)
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("%d ended well\n", ok);
	return ok == n ? 0 : 1;
}
