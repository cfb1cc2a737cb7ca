/*
 * Lost wakeup: the waiter checks the flag without the lock, then locks and
 * waits with no predicate loop; the notifier sets the flag and signals
 * without the lock, after a little work of its own (some computing).
 * Window: between the waiter's check and its pthread_cond_wait. Opened by
 * a hold before the waiter's pthread_mutex_lock or pthread_cond_wait. A
 * lost signal shows as a wait that lasts a generous second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t start;
static int flag;

static void *notifier(void *unused)
{
	volatile int spin;

	(void)unused;
	pthread_barrier_wait(&start);
	for (spin = 0; spin < 20000; spin++)
		;
	__atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&c);
	return NULL;
}

int main(void)
{
	struct timespec deadline;
	pthread_t t;
	int r = 0;

	pthread_barrier_init(&start, NULL, 2);
	pthread_create(&t, NULL, notifier, NULL);
	pthread_barrier_wait(&start);
	if (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE)) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		pthread_mutex_lock(&m);
		r = pthread_cond_timedwait(&c, &m, &deadline);
		pthread_mutex_unlock(&m);
	}
	pthread_join(t, NULL);
	if (r == ETIMEDOUT) {
		fprintf(stderr, "race: lost wakeup: the signal came between"
				" the check and the wait\n");
		return 1;
	}
	return 0;
}
