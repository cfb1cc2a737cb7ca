/* SPDX-License-Identifier: MIT */
/*
 * The state every file reads: the init state, the configuration, the
 * seeded random streams, the counters, and which process the state belongs
 * to (a fork child's reset). The start-up that fills it and wires the
 * features in is init.c, a floor above (preload/floors): it is reached
 * through the table it puts in the ft_startup section, never by name.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "ft.h"
#include "prng.h"
#include "proc.h"

enum { UNINIT, INITIALIZING, ACTIVE, INERT };

static atomic_int state;
static struct ft_config cfg;
static char **saved_argv;
/*
 * Random streams: a process draws from its key (an exec'd image: the seed
 * and its argv; a fork child: its parent's key and the fork's ordinal), a
 * thread from the process key and its creation ordinal (the main thread:
 * 0). A run with the same seed then makes the same choices wherever the
 * order of forks and thread creations is the same; one thread's draws do
 * not shift another's.
 */
#define FT_THREAD_SALT 0x7468726561647321ULL	/* "threads!" */

struct ft_stream {
	uint64_t key;
	uint64_t pos;
	uint64_t ordinal;
	unsigned generation;	/* process_generation it belongs to */
};
static __thread struct ft_stream thread_stream;

struct ft_process_state ft_process_static;
/* The wipe-on-fork page once made (NULL: ft_process is the static copy). */
struct ft_process_state *ft_process_page;
/* The image's key, in memory a fork child keeps: a child made where our
 * fork wrapper did not see it draws from it, its parent's being gone. */
static uint64_t image_key;
const struct ft_warp_link *ft_warp;

const struct ft_config *ft_cfg(void)
{
	return &cfg;
}

char **ft_argv(void)
{
	return saved_argv;
}

uint64_t ft_seed(void)
{
	return cfg.seed;
}

/* For the start-up only, which fills it before any feature reads it. */
struct ft_config *ft_cfg_edit(void)
{
	return &cfg;
}

void ft_set_argv(char **argv)
{
	saved_argv = argv;
}

static void stream_start(uint64_t ordinal)
{
	thread_stream.key = ft_thread_key_of(ordinal);
	thread_stream.pos = 0;
	thread_stream.ordinal = ordinal;
	thread_stream.generation =
		atomic_load_explicit(&ft_process.generation, memory_order_relaxed);
}

/* async-signal-safe */
uint64_t ft_thread_key_of(uint64_t ordinal)
{
	return ft_prng_at(ft_process.key ^ FT_THREAD_SALT, ordinal);
}

uint64_t ft_thread_ordinal_next(void)
{
	return atomic_fetch_add_explicit(&ft_process.threads_made, 1,
					 memory_order_relaxed) + 1;
}

/*
 * A thread whose stream belongs to an older process: the thread that
 * forked this one is thread 0, as in its fork; one we did not start takes
 * the next ordinal. async-signal-safe
 */
static void stream_restart(void)
{
	stream_start(atomic_exchange(&ft_process.fork_thread_pending, 0)
			     ? 0
			     : ft_thread_ordinal_next());
}

/* async-signal-safe */
void ft_thread_stream_start(uint64_t ordinal)
{
	stream_start(ordinal);
}

/* async-signal-safe */
unsigned ft_process_generation(void)
{
	return atomic_load_explicit(&ft_process.generation, memory_order_relaxed);
}

/* async-signal-safe */
uint64_t ft_thread_key(uint64_t *ordinal)
{
	if (thread_stream.generation != ft_process_generation())
		stream_restart();
	*ordinal = thread_stream.ordinal;
	return thread_stream.key;
}

/*
 * async-signal-safe. A handler that interrupts its own thread's draw may
 * repeat a value: harmless for a random choice.
 */
uint64_t ft_random(void)
{
	/* A thread we did not start (or that predates this process's key)
	 * takes the next ordinal when it first draws. */
	if (thread_stream.generation !=
	    atomic_load_explicit(&ft_process.generation, memory_order_relaxed))
		stream_restart();
	return ft_prng_at(thread_stream.key, thread_stream.pos++);
}

/* FNV-1a over the argument strings, each with its terminating NUL. */
static uint64_t argv_hash(char **argv)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (; argv && *argv; argv++) {
		p = *argv;
		do {
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		} while (*p++);
	}
	return h;
}

/* The key of an exec'd image, set in the thread that runs main (0). */
void ft_image_start(void)
{
	ft_process.key = ft_prng_at(cfg.seed, argv_hash(saved_argv));
	image_key = ft_process.key;
	atomic_fetch_add_explicit(&ft_process.generation, 1,
				  memory_order_relaxed);
	atomic_store_explicit(&ft_process.threads_made, 0, memory_order_relaxed);
	stream_start(0);
}

/* The start-up's table (init.c), placed there by the linker. */
extern const struct ft_startup __start_ft_startup[]
	__attribute__((visibility("hidden")));
/*
 * Its resets, copied at start beside the rest of a fork child's data
 * (fork-path.ld): the table's own page is one more a child would read.
 */
static void (*new_process_resets[FT_NEW_PROCESS_MAX])(void);

/*
 * The process our state belongs to, on the page the kernel zeroes in a
 * fork child (MADV_WIPEONFORK) but shares with a vfork child: an owner
 * there tells the three apart without any atfork handler, and nothing of
 * a parent's is left for a fork child to reset. Made at start, where the
 * log or the leak and crash records need to tell; the static copy serves
 * before (and where the page cannot be made).
 */
static void make_process_page(void)
{
	struct ft_process_state *page;

	if (ft_process_page ||
	    (cfg.log_dir[0] == '\0' && !cfg.leaks && !cfg.crash))
		return;
	page = ft_map_wiped(sizeof(*page));
	if (!page)
		return;
	memcpy(page, &ft_process_static, sizeof(*page));
	ft_process_page = page;
}

void ft_mark_process(void)
{
	make_process_page();
	ft_process.owner = ft_getpid();
}

/*
 * A new process, the ordinal-th fork of its parent, whose key was
 * parent_key (0 and the image's key: a child our fork wrapper did not
 * make). Its generation differs from every one its threads' state may
 * hold: its parent's, its image's (small numbers) and any other
 * process's. Plain stores only (fork child, async-signal-safe).
 */
static void reset_process(uint64_t ordinal, uint64_t parent_key, pid_t pid)
{
	int i;

	/* On the wipe-on-fork page all is zero already. */
	if (!ft_process_page)
		memset(&ft_process, 0, sizeof(ft_process));
	ft_process.owner = pid;
	ft_process.key = ft_prng_at(parent_key, ordinal);
	atomic_store(&ft_process.generation, (unsigned)pid << 8);
	/* The forking thread is the child's first and only thread. */
	atomic_store(&ft_process.fork_thread_pending, 1);
	/* cfg first: ft_warp's page may be one a fork child never reads. */
	if (cfg.timers != FT_TIMERS_OFF && ft_warp) {
		atomic_store(&ft_warp->counters->waits_warped, 0);
		atomic_store(&ft_warp->counters->warped_ns, 0);
		atomic_store(&ft_warp->counters->waits_real, 0);
		atomic_store(&ft_warp->counters->idle_scans, 0);
	}
	for (i = 0; i < FT_NEW_PROCESS_MAX && new_process_resets[i]; i++)
		new_process_resets[i]();
	ft_log_after_fork();
}

/*
 * Asked of the kernel once per thread and process (a fork child's thread
 * has a new tid; its process a new generation). Not in a vfork child,
 * whose thread-local storage is its parent thread's. async-signal-safe
 */
static __thread pid_t tid_cache;
static __thread unsigned tid_generation;

pid_t ft_gettid(void)
{
	unsigned generation = atomic_load_explicit(&ft_process.generation,
						   memory_order_relaxed);

	if (tid_cache == 0 || tid_generation != generation) {
		tid_cache = (pid_t)ft_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0);
		tid_generation = generation;
	}
	return tid_cache;
}

/*
 * Called by the fork wrapper around the real fork, rather than through
 * pthread_atfork: glibc runs atfork handlers a few frames deeper, and the
 * stack page that touches is one more page copied in parent and child.
 * A child made without our wrapper (_Fork, a raw clone) is told by
 * ft_own_process. async-signal-safe
 */
uint64_t ft_fork_prepare(uint64_t *key)
{
	*key = ft_process.key;
	return atomic_fetch_add_explicit(&ft_process.forks, 1,
					 memory_order_relaxed) + 1;
}

void ft_fork_child(uint64_t ordinal, uint64_t parent_key)
{
	pid_t pid = ft_getpid();

	/* A program's own atfork handler may have met a wrapper already. */
	if (pid != ft_process.owner)
		reset_process(ordinal, parent_key, pid);
}

/* async-signal-safe */
int ft_own_process(void)
{
	pid_t pid = ft_getpid();

	if (pid == ft_process.owner)
		return 1;
	if (ft_process_page && ft_process.owner == 0) {
		reset_process(0, image_key, pid);
		return 1;
	}
	return 0;
}

/*
 * ft_own_process without its getpid system call, for the wrappers of
 * threads, fork, spawn and waitpid (two a thread made and joined, three a
 * fork and its waitpid: a system call costs 1-4 us on our VM). A fork
 * child by any path finds the wipe-on-fork page zeroed and goes the long
 * way, which resets its state. The only other process that finds the
 * marker set is a vfork (or CLONE_VM) child of ours, which shares our
 * memory; POSIX allows it only _exit and the exec family, so any of those
 * calls there is undefined and no answer is wrong. Not for _exit, exec or
 * a signal handler: a vfork child does reach those.
 * async-signal-safe
 */
int ft_own_process_quick(void)
{
	if (ft_process_page && ft_process.owner != 0)
		return 1;
	return ft_own_process();
}

/* Once, by whichever thread asks first. */
static void start(void)
{
	int expected = UNINIT;

	if (!atomic_compare_exchange_strong(&state, &expected, INITIALIZING))
		return;
	memcpy(new_process_resets, __start_ft_startup->new_process,
	       sizeof(new_process_resets));
	atomic_store_explicit(&state, __start_ft_startup->initialize() ? ACTIVE : INERT,
			      memory_order_release);
}

int ft_active(void)
{
	int s = atomic_load_explicit(&state, memory_order_acquire);

	if (s == ACTIVE)
		return 1;
	if (s == UNINIT)
		start();
	/* Another thread may be initializing: the caller needs ft_real. */
	ft_real_ensure();
	return atomic_load_explicit(&state, memory_order_acquire) == ACTIVE;
}
