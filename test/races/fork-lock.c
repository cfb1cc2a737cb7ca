/*
 * Fork while another thread holds a lock: the worker tells main it has
 * work ready (a byte on a pipe) while still holding the lock, then lets
 * go; main forks soon after it hears (a yield and some computing first), and the
 * child needs the lock.
 * Window: between the worker's write and its pthread_mutex_unlock.
 * Opened by a hold after that write (with the lock held, a brief one).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int p[2];

static void *worker(void *unused)
{
	char b = 1;

	(void)unused;
	pthread_mutex_lock(&m);
	if (write(p[1], &b, 1) != 1)
		b = 0;
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	volatile int spin;
	pthread_t t;
	pid_t pid;
	char b;
	int status;

	if (pipe(p))
		return 2;
	pthread_create(&t, NULL, worker, NULL);
	if (read(p[0], &b, 1) != 1)
		return 2;
	/* Woken, it may have taken the waker's CPU: give it back. */
	sched_yield();
	for (spin = 0; spin < 20000; spin++)
		;
	pid = fork();
	if (pid == 0)
		_exit(pthread_mutex_trylock(&m) == 0 ? 0 : 1);
	waitpid(pid, &status, 0);
	pthread_join(t, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		fprintf(stderr, "race: fork while another thread held the"
				" lock: the child can never take it\n");
		return 1;
	}
	return 0;
}
