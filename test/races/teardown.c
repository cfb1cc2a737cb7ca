/*
 * Teardown race: the worker signals that it is done, then still updates
 * its statistics; the owner tears them down soon after it hears "done"
 * (after a yield and a little computing). Window: between the
 * worker's pthread_mutex_unlock (after its signal) and its last store.
 * Opened by a hold after that unlock. The teardown poisons the block (no
 * real free).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static struct { int alive; int count; } stats = { 1, 0 };
static int done, late;

static void *worker(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&m);
	done = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	if (!__atomic_load_n(&stats.alive, __ATOMIC_ACQUIRE))
		late = 1;
	stats.count++;
	return NULL;
}

int main(void)
{
	volatile int spin;
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&m);
	while (!done)
		pthread_cond_wait(&c, &m);
	pthread_mutex_unlock(&m);
	/* Woken, it may have taken the waker's CPU: give it back. */
	sched_yield();
	for (spin = 0; spin < 20000; spin++)
		;
	__atomic_store_n(&stats.alive, 0, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (late) {
		fprintf(stderr, "race: teardown: the worker wrote its"
				" statistics after they were torn down\n");
		return 1;
	}
	return 0;
}
