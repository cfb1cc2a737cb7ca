/* SPDX-License-Identifier: MIT */
/*
 * Threads: pthread_create records the thread and starts it through our
 * start routine, which notes its tid and, by a cleanup handler, its end
 * (return, pthread_exit or cancellation). Joins and detaches update the
 * record. The argument block lives in the record, not in the program's
 * heap.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "ft.h"
#include "registry.h"

/* The calling thread's own record (NULL for threads we did not start). */
static __thread struct ft_rec *self_rec;

static void thread_ended(void *rec)
{
	ft_reg_thread_finished(rec);
	self_rec = NULL;
}

static void *start_thread(void *p)
{
	struct ft_rec *rec = p;
	void *(*fn)(void *) = (void *(*)(void *))rec->fn;
	void *arg = (void *)rec->arg, *ret;

	atomic_store_explicit((_Atomic int32_t *)&rec->id,
			      (int32_t)syscall(SYS_gettid),
			      memory_order_release);
	self_rec = rec;
	ft_reg_link(rec, (uint64_t)pthread_self(), 0);
	pthread_cleanup_push(thread_ended, rec);
	ret = fn(arg);
	pthread_cleanup_pop(1);
	return ret;
}

FT_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			     void *(*start)(void *), void *arg)
{
	struct ft_rec *rec;
	int err, detach = PTHREAD_CREATE_JOINABLE;

	ft_real_ensure();
	rec = ft_reg_new(FT_REC_THREAD, FT_ORIGIN_PTHREAD_CREATE, 1);
	if (!rec)
		return ft_real.pthread_create(thread, attr, start, arg);
	rec->fn = (uintptr_t)start;
	rec->arg = (uintptr_t)arg;
	if (attr && pthread_attr_getdetachstate(attr, &detach) == 0 &&
	    detach == PTHREAD_CREATE_DETACHED)
		rec->detached = 1;
	err = ft_real.pthread_create(thread, attr, start_thread, rec);
	if (err != 0) {
		ft_reg_free(rec);
		return err;
	}
	ft_reg_link(rec, (uint64_t)*thread, 1);
	return 0;
}

FT_EXPORT int pthread_join(pthread_t thread, void **retval)
{
	int err;

	ft_real_ensure();
	err = ft_real.pthread_join(thread, retval);
	if (err == 0)
		ft_reg_thread_joined((uint64_t)thread);
	return err;
}

FT_EXPORT int pthread_tryjoin_np(pthread_t thread, void **retval)
{
	int err;

	ft_real_ensure();
	err = ft_real.pthread_tryjoin_np(thread, retval);
	if (err == 0)
		ft_reg_thread_joined((uint64_t)thread);
	return err;
}

FT_EXPORT int pthread_timedjoin_np(pthread_t thread, void **retval,
				   const struct timespec *abstime)
{
	int err;

	ft_real_ensure();
	err = ft_real.pthread_timedjoin_np(thread, retval, abstime);
	if (err == 0)
		ft_reg_thread_joined((uint64_t)thread);
	return err;
}

FT_EXPORT int pthread_clockjoin_np(pthread_t thread, void **retval,
				   clockid_t clock,
				   const struct timespec *abstime)
{
	int err;

	ft_real_ensure();
	if (!ft_real.pthread_clockjoin_np)
		return ENOSYS;
	err = ft_real.pthread_clockjoin_np(thread, retval, clock, abstime);
	if (err == 0)
		ft_reg_thread_joined((uint64_t)thread);
	return err;
}

FT_EXPORT int pthread_detach(pthread_t thread)
{
	int err;

	ft_real_ensure();
	/*
	 * Before the real call: once detached, the thread may end and its
	 * pthread_t be reused by a new thread at any moment.
	 */
	ft_reg_thread_detach((uint64_t)thread,
			     pthread_equal(thread, pthread_self()) ? self_rec
								   : NULL);
	err = ft_real.pthread_detach(thread);
	return err;
}
