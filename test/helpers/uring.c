/* SPDX-License-Identifier: MIT */
/*
 * io_uring's kernel workers, through raw system calls (no liburing): a
 * ring with IORING_SETUP_SQPOLL (its iou-sqp-PID thread) and a read of an
 * empty pipe submitted with IOSQE_ASYNC, which an iou-wrk-PID worker
 * blocks in. Both are listed in /proc/self/task while the process ends;
 * neither runs user code. Prints "workers N" (the kernel threads seen
 * besides main), or exits 77 with the reason when the kernel refuses
 * io_uring.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	unsigned *tail, *array, *mask;
	char *sq, byte;
	int ring, pipefd[2], i;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	p.sq_thread_idle = 10000;
	ring = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("io_uring refused: %s\n", strerror(errno));
		return 77;
	}
	if (pipe(pipefd) != 0)
		return 1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_SQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || sqes == MAP_FAILED)
		return 1;
	tail = (unsigned *)(sq + p.sq_off.tail);
	mask = (unsigned *)(sq + p.sq_off.ring_mask);
	array = (unsigned *)(sq + p.sq_off.array);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_READ;
	sqes[0].flags = IOSQE_ASYNC;
	sqes[0].fd = pipefd[0];
	sqes[0].addr = (unsigned long)&byte;
	sqes[0].len = 1;
	array[*tail & *mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	/* The poll thread may sleep: wake it. */
	syscall(SYS_io_uring_enter, ring, 1, 0, IORING_ENTER_SQ_WAKEUP, NULL,
		0);
	/* Until the worker shows (a bounded wait on the kernel, not a
	 * sleep as synchronization: it appears or the test fails). */
	for (i = 0; i < 1000000 && tasks() < 3; i++)
		sched_yield();
	printf("workers %d\n", tasks() - 1);
	fflush(stdout);
	return 0;
}
