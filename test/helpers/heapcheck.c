/* SPDX-License-Identifier: MIT */
/*
 * heapcheck: what creating, joining, forking and reaping do to the
 * program's heap (mallinfo2). Prints the change after each; the library
 * must leave each the same as without it. One thread and one fork come
 * first, unmeasured: glibc sizes a thread's descriptor (its DTV) by the
 * number of loaded modules with thread-local storage, and allocates
 * libunwind's per-thread cache in the first thread that unwinds
 * (docs/limits.md); what is measured is what each call costs.
 */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *nothing(void *arg)
{
	return arg;
}

static void *note_tid(void *arg)
{
	*(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static size_t in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

int main(void)
{
	size_t before, after[4];
	volatile pid_t tid = 0;
	pthread_t t;
	pid_t pid;
	int i;

	/* stdout's buffer first, so printing does not count. */
	printf("heapcheck\n");
	pthread_create(&t, NULL, nothing, NULL);
	pthread_join(t, NULL);
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	before = in_use();
	for (i = 0; i < 100; i++) {
		pthread_create(&t, NULL, nothing, NULL);
		pthread_join(t, NULL);
	}
	after[0] = in_use();
	for (i = 0; i < 20; i++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	after[1] = in_use();
	pthread_create(&t, NULL, note_tid, (void *)&tid);
	pthread_detach(t);
	while (tid == 0 || syscall(SYS_tgkill, getpid(), tid, 0) == 0)
		sched_yield();
	after[2] = in_use();
	printf("threads %zd\nforks %zd\ndetached %zd\n",
	       (ssize_t)(after[0] - before), (ssize_t)(after[1] - after[0]),
	       (ssize_t)(after[2] - after[1]));
	return 0;
}
