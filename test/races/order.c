/*
 * Order violation: the creator publishes the worker's configuration only
 * after pthread_create returns; the worker reads it at once. Window: from
 * pthread_create's return in main to the store of cfg.ready. Opened by a
 * hold after pthread_create (thread_create) in main.
 * The worker yields a few times first: on this 2-core VM pthread_create
 * takes ~170 us to return and the new thread, started on its creator's
 * CPU, held main back there in 30-40% of plain runs (many spins made it
 * worse; 2 yields: 0 of 800, and 67 of 200 under --chaos).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static struct { int ready; int value; } cfg;
static int seen = -1;

static void *worker(void *unused)
{
	int i;

	(void)unused;
	for (i = 0; i < 2; i++)
		sched_yield();
	seen = __atomic_load_n(&cfg.ready, __ATOMIC_ACQUIRE) ? cfg.value : 0;
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	cfg.value = 42;
	__atomic_store_n(&cfg.ready, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	if (seen != 42) {
		fprintf(stderr, "race: order violation: the worker ran before"
				" its configuration was published\n");
		return 1;
	}
	return 0;
}
