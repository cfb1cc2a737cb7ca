/* SPDX-License-Identifier: MIT */
/*
 * Start-up and per-process state: the init state machine (lazy, idempotent),
 * the configuration, the seeded random stream, the counters and the fork
 * child's reset. Nothing heavy runs here: every process of a suite pays it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "prng.h"

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

struct ft_process_state ft_process;
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
static void image_stream_start(void)
{
	ft_process.key = ft_prng_at(cfg.seed, argv_hash(saved_argv));
	atomic_fetch_add_explicit(&ft_process.generation, 1,
				  memory_order_relaxed);
	atomic_store_explicit(&ft_process.threads_made, 0, memory_order_relaxed);
	stream_start(0);
}

static void write_err_line(const char *msg)
{
	ssize_t ignored;

	ignored = write(2, msg, strlen(msg));
	ignored = write(2, "\n", 1);
	(void)ignored;
}

/*
 * Another copy of the library (two paths in LD_PRELOAD) loaded before us
 * owns the wrapped names: stay out of its way so it counts each call once.
 * Asked of fork, which libflaketrap-warp.so, loaded first, does not wrap.
 */
static int shadowed_by_other_copy(void)
{
	Dl_info mine, first;
	void *def = dlsym(RTLD_DEFAULT, "fork");
	const char *base;

	if (!def || !dladdr((void *)shadowed_by_other_copy, &mine) ||
	    !dladdr(def, &first) || first.dli_fbase == mine.dli_fbase ||
	    !first.dli_fname)
		return 0;
	base = strrchr(first.dli_fname, '/');
	base = base ? base + 1 : first.dli_fname;
	return strcmp(base, "libflaketrap.so") == 0;
}

static uint64_t draw_seed(void)
{
	uint64_t s;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	ft_clock(CLOCK_REALTIME, &ts);
	return ft_prng_at((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20,
			  (uint64_t)getpid());
}

/*
 * A directory others can write to lets them plant files at the next
 * prog.PID.jsonl (pids are predictable) that a report would take for ours:
 * refused (125) when group or others may write without the sticky bit,
 * or when it belongs to another user and we may write there. A process
 * that runs as another user than the owner of a private directory (a
 * child started with subprocess's user=, a daemon that dropped root)
 * cannot write there by design and goes on, its records lost quietly.
 */
static int shared_log_dir(const struct stat *st, char *err, size_t errlen)
{
	const char *why = NULL;
	struct ft_buf b;

	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		why = "writable by group or others without the sticky bit";
	else if (st->st_uid != geteuid() && access(cfg.log_dir, W_OK) == 0)
		why = "a directory of another user";
	else if (st->st_uid != geteuid())
		cfg.log_unreachable = 1;
	if (!why) {
		cfg.log_file_mode = 0600 | (st->st_mode & 0044);
		return 0;
	}
	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
	ft_buf_quoted(&b, cfg.log_dir);
	ft_buf_str(&b, ": ");
	ft_buf_str(&b, why);
	ft_buf_str(&b, ": another user could plant files there that a report"
		       " would take for this program's; give a directory of"
		       " your own");
	return -1;
}

/*
 * Whether the log directory, out of this process's reach, lies behind a
 * directory of another user: the nearest one that stat can see. A private
 * (0700) directory of the user who started the run hides the log from a
 * process that runs as another user, as it should.
 */
static int behind_other_user(void)
{
	char path[FT_PATH_MAX], *slash;
	struct stat st;

	strcpy(path, cfg.log_dir);
	while (stat(path, &st) != 0) {
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return 0;
		*slash = '\0';
	}
	return st.st_uid != geteuid();
}

/* Make FLAKETRAP_LOG absolute (a test may chdir) and make sure it exists. */
static int prepare_log_dir(char *err, size_t errlen)
{
	char cwd[FT_PATH_MAX], abs[FT_PATH_MAX], *p;
	struct ft_buf b;
	struct stat st;
	int e;

	if (cfg.log_dir[0] == '\0')
		return 0;
	if (cfg.log_dir[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			cwd[0] = '\0';
		ft_buf_init(&b, abs, sizeof(abs));
		ft_buf_str(&b, cwd);
		ft_buf_char(&b, '/');
		ft_buf_str(&b, cfg.log_dir);
		if (cwd[0] != '/' || b.full) {
			ft_buf_init(&b, err, errlen);
			ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
			ft_buf_quoted(&b, cfg.log_dir);
			ft_buf_str(&b, ": cannot make the path absolute");
			return -1;
		}
		strcpy(cfg.log_dir, abs);
	}
	/*
	 * As mkdir -p: every missing parent too. Private (0700, and files
	 * 0600): argv and environment-derived config are in the records. A
	 * directory the user made readable by others makes the files so.
	 */
	cfg.log_file_mode = 0600;
	for (p = cfg.log_dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		e = mkdir(cfg.log_dir, 0700) == 0 || errno == EEXIST;
		*p = '/';
		if (!e)
			break;
	}
	if (mkdir(cfg.log_dir, 0700) == 0)
		return 0;
	e = errno;
	if ((e == EACCES || e == EPERM) && behind_other_user()) {
		cfg.log_unreachable = 1;
		return 0;
	}
	/* EEXIST for a file too: its logs would be lost without a word. */
	if (e == EEXIST) {
		if (stat(cfg.log_dir, &st) != 0)
			e = errno;
		else if (!S_ISDIR(st.st_mode))
			e = ENOTDIR;
		else
			return shared_log_dir(&st, err, errlen);
	}
	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
	ft_buf_quoted(&b, cfg.log_dir);
	ft_buf_str(&b, ": cannot create the directory: ");
	ft_buf_str(&b, strerror(e));
	return -1;
}

static int warp_error(char *err, size_t errlen, const char *why)
{
	struct ft_buf b;

	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_TIMERS=warp: ");
	ft_buf_str(&b, why);
	return -1;
}

/*
 * FLAKETRAP_TIMERS=warp: turn on libflaketrap-warp.so, which must be loaded
 * before us (its sleep wrappers call ours for the real sleep). Never a
 * silent no-op: a run meant to warp that does not would look like a pass.
 */
static int attach_warp(char *err, size_t errlen)
{
	void *attach = dlsym(RTLD_DEFAULT, FT_WARP_ATTACH);
	void *first = dlsym(RTLD_DEFAULT, "nanosleep");
	Dl_info w, n;

	if (!attach)
		return warp_error(err, errlen,
				  "libflaketrap-warp.so is not loaded; put it"
				  " in LD_PRELOAD before libflaketrap.so"
				  " (flaketrap run --timers=warp does)");
	if (!first || !dladdr(attach, &w) || !dladdr(first, &n) ||
	    w.dli_fbase != n.dli_fbase)
		return warp_error(err, errlen,
				  "libflaketrap-warp.so must come before"
				  " libflaketrap.so in LD_PRELOAD");
	ft_warp = ((ft_warp_attach_fn *)attach)(
		FT_WARP_LINK_VERSION,
		(cfg.timers == FT_TIMERS_IDLE ? FT_WARP_RULE_IDLE
					      : FT_WARP_RULE_EXPOSE) |
			(cfg.sleep.mode == FT_SLEEP_OFF ? FT_WARP_IDLE_SLEEPS
							: 0),
		cfg.timer_grace_ns, cfg.timer_guard_ns);
	if (!ft_warp)
		return warp_error(err, errlen,
				  "libflaketrap-warp.so and libflaketrap.so"
				  " come from different builds");
	return 0;
}

/*
 * The process our state belongs to, and a page the kernel zeroes in a fork
 * child (MADV_WIPEONFORK) but shares with a vfork child: together they tell
 * the three apart without any atfork handler. The page also counts the
 * forks: fork write-protects every other page of the parent, so a count
 * there costs the parent no page fault per fork.
 */
struct fork_page {
	volatile char marker;
	atomic_ullong forks;
};
static struct fork_page *fork_page;

static atomic_ullong *forks_counter(void)
{
	return fork_page ? &fork_page->forks : &ft_process.forks;
}

static void mark_process(void)
{
	void *page;

	ft_process.owner = ft_getpid();
	/* Only the log and the signal views need to tell; spare the rest. */
	if (!fork_page && (cfg.log_dir[0] != '\0' || cfg.leaks || cfg.crash)) {
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			return;
		if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
			munmap(page, 4096);
			return;
		}
		fork_page = page;
	}
	if (fork_page)
		fork_page->marker = 1;
}

/*
 * A new process, the ordinal-th fork of its parent (0: a child our fork
 * wrapper did not make, whose ordinal is unknown). Plain stores only
 * (fork child, async-signal-safe).
 */
static void reset_process(uint64_t ordinal)
{
	mark_process();
	int i;

	ft_process.key = ft_prng_at(ft_process.key, ordinal);
	atomic_store(forks_counter(), 0);
	atomic_store(&ft_process.threads_made, 0);
	atomic_store(&ft_process.registry_used, 0);
	/* The forking thread is the child's first and only thread. */
	atomic_store(&ft_process.fork_thread_pending, 1);
	atomic_fetch_add(&ft_process.generation, 1);
	atomic_store(&ft_process.counters.sleeps_seen, 0);
	atomic_store(&ft_process.counters.sleeps_changed, 0);
	atomic_store(&ft_process.counters.requested_ns, 0);
	atomic_store(&ft_process.counters.slept_ns, 0);
	for (i = 0; i < FT_NDELAYS; i++) {
		atomic_store(&ft_process.counters.delays[i], 0);
		atomic_store(&ft_process.counters.delay_ns[i], 0);
	}
	/* cfg first: ft_warp's page may be one a fork child never reads. */
	if (cfg.timers != FT_TIMERS_OFF && ft_warp) {
		atomic_store(&ft_warp->counters->waits_warped, 0);
		atomic_store(&ft_warp->counters->warped_ns, 0);
		atomic_store(&ft_warp->counters->waits_real, 0);
		atomic_store(&ft_warp->counters->idle_scans, 0);
	}
	ft_sites_after_fork();
	ft_chaos_after_fork();
	ft_log_after_fork();
	ft_scan_after_fork();
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
uint64_t ft_fork_prepare(void)
{
	return atomic_fetch_add_explicit(forks_counter(), 1,
					 memory_order_relaxed) + 1;
}

void ft_fork_child(uint64_t ordinal)
{
	/* A program's own atfork handler may have met a wrapper already. */
	if (ft_getpid() != ft_process.owner)
		reset_process(ordinal);
}

/* async-signal-safe */
int ft_own_process(void)
{
	if (ft_getpid() == ft_process.owner)
		return 1;
	if (fork_page && fork_page->marker == 0) {
		reset_process(0);
		return 1;
	}
	return 0;
}

/*
 * The FLAKETRAP_ entries of the environment the kernel gave the process,
 * in a mapping of *len bytes the caller unmaps; NULL when /proc cannot
 * tell. For a wrapper called before libc has set environ: from a function
 * of the program's .preinit_array, which runs before any library's
 * initializer (the sanitizer runtimes start there: gcc links
 * libasan_preinit.o and libtsan_preinit.o into the program, clang its whole
 * runtime). The strings are still where the kernel put them, between
 * env_start and env_end of /proc/self/stat: nothing has run yet that
 * could have moved them.
 */
static char **initial_environ(size_t *len)
{
	static const char prefix[] = FT_ENV_PREFIX;
	const size_t plen = sizeof(prefix) - 1;
	const char *p, *s, *start, *end;
	char buf[1024], **env;
	size_t n = 0, i = 0;

	if (ft_read_file("/proc/self/stat", buf, sizeof(buf)) <= 0 ||
	    !(s = ft_stat_field(buf, 50)))	/* env_start, env_end */
		return NULL;
	start = (const char *)ft_parse_long(&s);
	end = (const char *)ft_parse_long(&s);
	if (!start || end <= start)
		return NULL;
	for (p = start; p < end; p += strnlen(p, (size_t)(end - p)) + 1)
		n += strncmp(p, prefix, plen) == 0;
	*len = (n + 1) * sizeof(*env);
	env = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env == MAP_FAILED)
		return NULL;
	for (p = start; p < end && i < n; p += strnlen(p, (size_t)(end - p)) + 1)
		if (strncmp(p, prefix, plen) == 0)
			env[i++] = (char *)p;
	env[i] = NULL;
	return env;
}

static void initialize(void)
{
	extern char **environ;
	char err[1024], **env = environ;
	size_t env_len = 0;
	int expected = UNINIT, bad;
	int saved_errno = errno;

	if (!atomic_compare_exchange_strong(&state, &expected, INITIALIZING))
		return;
	ft_real_ensure();
	if (getauxval(AT_SECURE) || shadowed_by_other_copy()) {
		atomic_store_explicit(&state, INERT, memory_order_release);
		ft_errno_keep(saved_errno);
		return;
	}
	if (!env)
		env = initial_environ(&env_len);
	bad = ft_config_parse(&cfg, env, err, sizeof(err));
	if (env_len)
		munmap(env, env_len);
	if (bad || prepare_log_dir(err, sizeof(err)) ||
	    (cfg.timers != FT_TIMERS_OFF && attach_warp(err, sizeof(err))) ||
	    (cfg.chaos && ft_chaos_attach(err, sizeof(err)))) {
		write_err_line(err);
		ft_real._exit(125);
	}
	ft_stderr_note();
	if (!cfg.seed_given)
		cfg.seed = draw_seed();
	ft_sites_configure();
	image_stream_start();
	mark_process();
	ft_log_after_fork();
	ft_signal_init();
	atomic_store_explicit(&state, ACTIVE, memory_order_release);
	ft_errno_keep(saved_errno);
}

int ft_active(void)
{
	int s = atomic_load_explicit(&state, memory_order_acquire);

	if (s == ACTIVE)
		return 1;
	if (s == UNINIT)
		initialize();
	/* Another thread may be initializing: the caller needs ft_real. */
	ft_real_ensure();
	return atomic_load_explicit(&state, memory_order_acquire) == ACTIVE;
}

/* glibc passes (argc, argv, envp) to the constructors of shared objects. */
__attribute__((constructor)) static void ft_constructor(int argc, char **argv,
							char **envp)
{
	(void)argc;
	(void)envp;
	saved_argv = argv;
	if (!ft_active())
		return;
	/* Now that argv is known (another library's constructor may have
	 * called a wrapper before ours ran). */
	image_stream_start();
	ft_exit_register();
	ft_log_start();
	/*
	 * libunwind is loaded where a backtrace is first taken in normal
	 * context (a thread or child made), and by a crash in a child of its
	 * own: not here, which every process would pay. A stack request
	 * comes in a signal handler of a process that may have made neither.
	 */
	if (cfg.stack_requests && cfg.log_dir[0])
		ft_unwind_load();
	ft_sites_init();
	ft_chaos_start();
}
