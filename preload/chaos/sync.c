/* SPDX-License-Identifier: MIT */
/*
 * Locks, condition variables and semaphores. A take (lock, wait) is asked
 * before the call, a hand-off (unlock, signal, post) after it: the thread
 * is then held back where another is about to take what it gave. Every
 * wrapper returns what libc returned, with its errno. Locks taken and
 * given back are counted per thread (ft_locks_held).
 */
#include "chaos.h"

FT_WRAP(pthread_mutex_lock)
	__attribute__((symver("pthread_mutex_lock@@GLIBC_2.2.5")));
int w_pthread_mutex_lock(pthread_mutex_t *m)
{
	FT_ENTER;
	int r;

	FT_POINT(mutex_lock, -1);
	r = ft_next.pthread_mutex_lock(m);
	ft_locks_held += r == 0;
	return r;
}

FT_WRAP(pthread_mutex_trylock)
	__attribute__((symver("pthread_mutex_trylock@@GLIBC_2.34"),
		       symver("pthread_mutex_trylock@GLIBC_2.2.5")));
int w_pthread_mutex_trylock(pthread_mutex_t *m)
{
	FT_ENTER;
	int r;

	FT_POINT(mutex_lock, -1);
	r = ft_next.pthread_mutex_trylock(m);
	ft_locks_held += r == 0;
	return r;
}

FT_WRAP(pthread_mutex_unlock)
	__attribute__((symver("pthread_mutex_unlock@@GLIBC_2.2.5")));
int w_pthread_mutex_unlock(pthread_mutex_t *m)
{
	FT_ENTER;
	int r = ft_next.pthread_mutex_unlock(m);

	ft_locks_held -= r == 0 && ft_locks_held > 0;
	FT_POINT(mutex_unlock, -1);
	return r;
}

#define RWLOCK_TAKE(name)                                                   \
	FT_WRAP(pthread_rwlock_##name)                                      \
	__attribute__((symver("pthread_rwlock_" #name "@@GLIBC_2.34"),       \
		       symver("pthread_rwlock_" #name "@GLIBC_2.2.5")));     \
	int w_pthread_rwlock_##name(pthread_rwlock_t *l)                    \
	{                                                                   \
		FT_ENTER;                                                   \
		int r;                                                      \
		FT_POINT(rwlock_lock, -1);                                  \
		r = ft_next.pthread_rwlock_##name(l);                       \
		ft_locks_held += r == 0;                                    \
		return r;                                                   \
	}

RWLOCK_TAKE(rdlock)
RWLOCK_TAKE(wrlock)
RWLOCK_TAKE(tryrdlock)
RWLOCK_TAKE(trywrlock)

FT_WRAP(pthread_rwlock_unlock)
	__attribute__((symver("pthread_rwlock_unlock@@GLIBC_2.34"),
		       symver("pthread_rwlock_unlock@GLIBC_2.2.5")));
int w_pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	FT_ENTER;
	int r = ft_next.pthread_rwlock_unlock(l);

	ft_locks_held -= r == 0 && ft_locks_held > 0;
	FT_POINT(rwlock_unlock, -1);
	return r;
}

/*
 * Condition variables of glibc 2.3.2 and later only: a program linked
 * against the old ones (before 2003) binds to libc's, untouched. A wait
 * gives its mutex back and takes it again: not counted as held at its
 * point (held back there, the waiter misses what is signalled meanwhile).
 */
FT_WRAP(pthread_cond_wait)
	__attribute__((symver("pthread_cond_wait@@GLIBC_2.3.2")));
int w_pthread_cond_wait(pthread_cond_t *restrict c,
			pthread_mutex_t *restrict m)
{
	FT_ENTER;
	FT_POINT_HELD(cond_wait, -1, ft_locks_held - 1);
	return ft_next.pthread_cond_wait(c, m);
}

FT_WRAP(pthread_cond_timedwait)
	__attribute__((symver("pthread_cond_timedwait@@GLIBC_2.3.2")));
int w_pthread_cond_timedwait(pthread_cond_t *restrict c,
			     pthread_mutex_t *restrict m,
			     const struct timespec *restrict abs)
{
	FT_ENTER;
	FT_POINT_HELD(cond_wait, -1, ft_locks_held - 1);
	return ft_next.pthread_cond_timedwait(c, m, abs);
}

FT_WRAP(pthread_cond_clockwait)
	__attribute__((symver("pthread_cond_clockwait@@GLIBC_2.34"),
		       symver("pthread_cond_clockwait@GLIBC_2.30")));
int w_pthread_cond_clockwait(pthread_cond_t *restrict c,
			     pthread_mutex_t *restrict m, clockid_t clk,
			     const struct timespec *restrict abs)
{
	FT_ENTER;
	FT_POINT_HELD(cond_wait, -1, ft_locks_held - 1);
	return ft_next.pthread_cond_clockwait(c, m, clk, abs);
}

FT_WRAP(pthread_cond_signal)
	__attribute__((symver("pthread_cond_signal@@GLIBC_2.3.2")));
int w_pthread_cond_signal(pthread_cond_t *c)
{
	FT_ENTER;
	int r = ft_next.pthread_cond_signal(c);

	FT_POINT(cond_signal, -1);
	return r;
}

FT_WRAP(pthread_cond_broadcast)
	__attribute__((symver("pthread_cond_broadcast@@GLIBC_2.3.2")));
int w_pthread_cond_broadcast(pthread_cond_t *c)
{
	FT_ENTER;
	int r = ft_next.pthread_cond_broadcast(c);

	FT_POINT(cond_signal, -1);
	return r;
}

FT_WRAP(sem_wait)
	__attribute__((symver("sem_wait@@GLIBC_2.34"),
		       symver("sem_wait@GLIBC_2.2.5")));
int w_sem_wait(sem_t *s)
{
	FT_ENTER;
	FT_POINT(sem_wait, -1);
	return ft_next.sem_wait(s);
}

FT_WRAP(sem_trywait)
	__attribute__((symver("sem_trywait@@GLIBC_2.34"),
		       symver("sem_trywait@GLIBC_2.2.5")));
int w_sem_trywait(sem_t *s)
{
	FT_ENTER;
	FT_POINT(sem_wait, -1);
	return ft_next.sem_trywait(s);
}

FT_WRAP(sem_timedwait)
	__attribute__((symver("sem_timedwait@@GLIBC_2.34"),
		       symver("sem_timedwait@GLIBC_2.2.5")));
int w_sem_timedwait(sem_t *restrict s, const struct timespec *restrict abs)
{
	FT_ENTER;
	FT_POINT(sem_wait, -1);
	return ft_next.sem_timedwait(s, abs);
}

FT_WRAP(sem_clockwait)
	__attribute__((symver("sem_clockwait@@GLIBC_2.34"),
		       symver("sem_clockwait@GLIBC_2.30")));
int w_sem_clockwait(sem_t *restrict s, clockid_t clk,
		    const struct timespec *restrict abs)
{
	FT_ENTER;
	FT_POINT(sem_wait, -1);
	return ft_next.sem_clockwait(s, clk, abs);
}

FT_WRAP(sem_post)
	__attribute__((symver("sem_post@@GLIBC_2.34"),
		       symver("sem_post@GLIBC_2.2.5")));
int w_sem_post(sem_t *s)
{
	FT_ENTER;
	int r = ft_next.sem_post(s);

	FT_POINT(sem_post, -1);
	return r;
}
