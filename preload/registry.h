/* SPDX-License-Identifier: MIT */
/*
 * The registry of live children and threads: fixed-size records in memory
 * of its own, never the program's heap. See registry.c for the rules that
 * keep it usable after fork, in _exit and in signal handlers.
 */
#ifndef FT_REGISTRY_H
#define FT_REGISTRY_H

#include <stdint.h>
#include <sys/types.h>

enum ft_rec_kind {
	FT_REC_FREE,
	FT_REC_CHILD,	/* key: pid */
	FT_REC_THREAD,	/* key: pthread_t (0 until known) */
	FT_REC_POPEN,	/* key: the FILE *; id: the child's pid */
	FT_REC_SYSTEM,	/* key: tid of a thread inside system() */
};

enum ft_origin {
	FT_ORIGIN_UNKNOWN,
	FT_ORIGIN_FORK,
	FT_ORIGIN_VFORK,
	FT_ORIGIN_POSIX_SPAWN,
	FT_ORIGIN_POSIX_SPAWNP,
	FT_ORIGIN_SYSTEM,
	FT_ORIGIN_POPEN,
	FT_ORIGIN_PTHREAD_CREATE,
};

/* A thread's life as seen by the wrappers. */
enum ft_thread_state {
	FT_THREAD_RUNNING,
	FT_THREAD_FINISHED,	/* returned, never joined nor detached */
	/*
	 * Joined, or detached and finished: not a leak. Kept (with its tid)
	 * until the kernel has let go of the thread, since it may still be
	 * listed in /proc/self/task for a moment after.
	 */
	FT_THREAD_ENDED,
};

struct ft_rec {
	uint32_t next;		/* hash chain or free list: index + 1 */
	uint8_t kind;
	uint8_t origin;
	uint8_t state;
	uint8_t detached;
	uint8_t linked;		/* in the hash chains */
	uint8_t nframes;
	uint8_t created;	/* linked by its creator */
	int32_t id;		/* pid (child, popen) or tid (thread) */
	int32_t creator_tid;
	uint32_t ordinal;	/* a thread's creation ordinal (random stream) */
	uint32_t test;		/* the test it was made in (testcase.c), or 0 */
	union {
		uint32_t alt_slot;	/* a thread's alternate stack (altstack.c) */
		uint32_t stack_slot;	/* a fork's copied stack (forkstack.c) */
	};
	uint64_t key;
	uintptr_t fn;		/* thread start routine */
	uintptr_t arg;		/* its argument */
	int64_t created_ns;
	uintptr_t frames[];	/* creation backtrace, ft_cfg()->backtrace */
};

/*
 * Python frames: from the constructor, before the first record, room for a
 * struct ft_py_stack at the end of each (only in a Python process: 660
 * bytes a record). ft_reg_python: that room in a record or a snapshot's
 * copy, NULL when there is none.
 */
struct ft_py_stack;
void ft_reg_python_room(void);
struct ft_py_stack *ft_reg_python(const struct ft_rec *r);

/*
 * The creation frames of a copy of a record (a snapshot's), from its
 * fork's copied stack when they were not taken at the fork.
 */
void ft_reg_resolve_frames(struct ft_rec *copy);
/* Copied stacks wait for their unwind (forkstack.c). */
int ft_reg_fork_stacks_live(void);

/* Room for this many live records at once; more are not tracked. */
#define FT_REG_CAPACITY 131072

/*
 * A record for the caller to fill: kind, origin, creation time, creator
 * and backtrace (skip: frames between the program and ft_reg_new's caller)
 * are set; NULL when the registry is off or full. Not yet visible.
 */
struct ft_rec *ft_reg_new(enum ft_rec_kind kind, enum ft_origin origin,
			  int skip);
/*
 * Make it visible under key, once its creator knows the key (the pid, the
 * pthread_t): only then may an ended thread's record be given to another.
 */
void ft_reg_link(struct ft_rec *r, uint64_t key);
/* Give a record back (linked or not). */
void ft_reg_free(struct ft_rec *r);
/* Unlink and free the live record of kind with key; its id or -1. */
int ft_reg_remove(enum ft_rec_kind kind, uint64_t key);
/* Remove the popen record of fp and its child's record. */
void ft_reg_remove_popen(uint64_t fp);

/* Threads: the record's state changes, under the registry's lock. */
void ft_reg_thread_finished(struct ft_rec *r);
struct ft_rec *ft_reg_thread_find(uint64_t key);
void ft_reg_thread_joined(struct ft_rec *r);
void ft_reg_thread_detach(uint64_t key, struct ft_rec *self);

/*
 * Copy every live record into mem (room for max records of
 * ft_reg_rec_size() bytes each); returns how many. async-signal-safe
 */
size_t ft_reg_snapshot(void *mem, size_t max);
size_t ft_reg_rec_size(void);
/* A thread of libc's own: never a leak. */
void ft_reg_libc_thread(pid_t tid);
/* Give threads just made up to max_ns to note their tid. */
void ft_reg_wait_thread_ids(int64_t max_ns);
size_t ft_reg_count(void);
/* Those that are not ended threads (kept only until the kernel no longer
 * lists them): children and threads that may still run. Unlocked: the
 * exit scan's first look. */
size_t ft_reg_count_unended(void);
/*
 * Copy into mem (room for max records) the records made in test that may
 * still be alive: threads not ended, children linked and not reaped;
 * returns how many (mem NULL: only counts them).
 */
size_t ft_reg_test_alive(uint32_t test, void *mem, size_t max);

#endif
