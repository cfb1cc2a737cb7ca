/* SPDX-License-Identifier: MIT */
/*
 * Start-up: read the configuration into the state (state.c), prepare the
 * log directory, attach the other objects, and wire the features in: their
 * set-up here and in the constructor, their reset in a new process through
 * the table below. The top floor (preload/floors): nothing calls up here.
 * Nothing heavy runs here: every process of a suite pays it.
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
	struct ft_config *cfg = ft_cfg_edit();
	const char *why = NULL;
	struct ft_buf b;

	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		why = "writable by group or others without the sticky bit";
	else if (st->st_uid != geteuid() && access(cfg->log_dir, W_OK) == 0)
		why = "a directory of another user";
	else if (st->st_uid != geteuid())
		cfg->log_unreachable = 1;
	if (!why) {
		cfg->log_file_mode = 0600 | (st->st_mode & 0044);
		return 0;
	}
	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
	ft_buf_quoted(&b, cfg->log_dir);
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
	const struct ft_config *cfg = ft_cfg();
	char path[FT_PATH_MAX], *slash;
	struct stat st;

	strcpy(path, cfg->log_dir);
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
	struct ft_config *cfg = ft_cfg_edit();
	char cwd[FT_PATH_MAX], abs[FT_PATH_MAX], *p;
	struct ft_buf b;
	struct stat st;
	int e;

	if (cfg->log_dir[0] == '\0')
		return 0;
	if (cfg->log_dir[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			cwd[0] = '\0';
		ft_buf_init(&b, abs, sizeof(abs));
		ft_buf_str(&b, cwd);
		ft_buf_char(&b, '/');
		ft_buf_str(&b, cfg->log_dir);
		if (cwd[0] != '/' || b.full) {
			ft_buf_init(&b, err, errlen);
			ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
			ft_buf_quoted(&b, cfg->log_dir);
			ft_buf_str(&b, ": cannot make the path absolute");
			return -1;
		}
		strcpy(cfg->log_dir, abs);
	}
	/*
	 * As mkdir -p: every missing parent too. Private (0700, and files
	 * 0600): argv and environment-derived config are in the records. A
	 * directory the user made readable by others makes the files so.
	 */
	cfg->log_file_mode = 0600;
	for (p = cfg->log_dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		e = mkdir(cfg->log_dir, 0700) == 0 || errno == EEXIST;
		*p = '/';
		if (!e)
			break;
	}
	if (mkdir(cfg->log_dir, 0700) == 0)
		return 0;
	e = errno;
	if ((e == EACCES || e == EPERM) && behind_other_user()) {
		cfg->log_unreachable = 1;
		return 0;
	}
	/* EEXIST for a file too: its logs would be lost without a word. */
	if (e == EEXIST) {
		if (stat(cfg->log_dir, &st) != 0)
			e = errno;
		else if (!S_ISDIR(st.st_mode))
			e = ENOTDIR;
		else
			return shared_log_dir(&st, err, errlen);
	}
	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_LOG=");
	ft_buf_quoted(&b, cfg->log_dir);
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
	const struct ft_config *cfg = ft_cfg();
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
		(cfg->timers == FT_TIMERS_IDLE ? FT_WARP_RULE_IDLE
					       : FT_WARP_RULE_EXPOSE) |
			(cfg->sleep.mode == FT_SLEEP_OFF ? FT_WARP_IDLE_SLEEPS
							 : 0),
		cfg->timer_grace_ns, cfg->timer_guard_ns);
	if (!ft_warp)
		return warp_error(err, errlen,
				  "libflaketrap-warp.so and libflaketrap.so"
				  " come from different builds");
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

/* 1: active; 0: inert (secure-execution, or another copy's process). */
static int initialize(void)
{
	extern char **environ;
	struct ft_config *cfg = ft_cfg_edit();
	char err[1024], **env = environ;
	size_t env_len = 0;
	int bad;
	int saved_errno = errno;

	ft_real_ensure();
	if (getauxval(AT_SECURE) || shadowed_by_other_copy()) {
		ft_errno_keep(saved_errno);
		return 0;
	}
	if (!env)
		env = initial_environ(&env_len);
	bad = ft_config_parse(cfg, env, err, sizeof(err));
	if (env_len)
		munmap(env, env_len);
	if (bad || prepare_log_dir(err, sizeof(err)) ||
	    (cfg->timers != FT_TIMERS_OFF && attach_warp(err, sizeof(err))) ||
	    (cfg->chaos && ft_chaos_attach(err, sizeof(err)))) {
		write_err_line(err);
		ft_real._exit(125);
	}
	ft_stderr_note();
	if (!cfg->seed_given)
		cfg->seed = draw_seed();
	ft_sites_configure();
	ft_image_start();
	ft_mark_process();
	ft_log_after_fork();
	ft_signal_init(ft_on_fatal_signal);
	ft_errno_keep(saved_errno);
	return 1;
}

/* The features' resets in a new process (a fork child), in this order. */
FT_STARTUP = {
	.initialize = initialize,
	.new_process = { ft_sites_after_fork, ft_chaos_after_fork,
			 ft_scan_after_fork },
};

/* glibc passes (argc, argv, envp) to the constructors of shared objects. */
__attribute__((constructor)) static void ft_constructor(int argc, char **argv,
							char **envp)
{
	const struct ft_config *cfg = ft_cfg();

	(void)argc;
	(void)envp;
	ft_set_argv(argv);
	if (!ft_active())
		return;
	/* Now that argv is known (another library's constructor may have
	 * called a wrapper before ours ran). */
	ft_image_start();
	ft_exit_register();
	ft_log_start();
	/*
	 * libunwind is loaded where a backtrace is first taken in normal
	 * context (a thread or child made), and by a crash in a child of its
	 * own: not here, which every process would pay. A stack request
	 * comes in a signal handler of a process that may have made neither.
	 */
	if (cfg->stack_requests && cfg->log_dir[0])
		ft_unwind_load();
	ft_sites_init();
	ft_chaos_start();
}
