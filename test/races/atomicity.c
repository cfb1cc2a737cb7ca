/*
 * Atomicity violation: check under the lock, unlock, act under the lock.
 * Two threads each withdraw 1 from a balance of 1; both may pass the
 * check. Window: between the check's pthread_mutex_unlock and the act's
 * pthread_mutex_lock. Opened by a hold after that unlock (mutex_unlock)
 * or before that lock (mutex_lock).
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static int balance = 1;

static void *withdraw(void *unused)
{
	int enough;

	(void)unused;
	pthread_barrier_wait(&start);
	pthread_mutex_lock(&m);
	enough = balance >= 1;
	pthread_mutex_unlock(&m);
	if (enough) {
		pthread_mutex_lock(&m);
		balance -= 1;
		pthread_mutex_unlock(&m);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	int i;

	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, withdraw, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (balance < 0) {
		fprintf(stderr, "race: atomicity violation: balance %d after"
				" two checked withdrawals\n", balance);
		return 1;
	}
	return 0;
}
