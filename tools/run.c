/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap run`: runs a command with libflaketrap.so preloaded into it
 * and all its descendants. Options map 1:1 onto the FLAKETRAP_* knobs (from
 * preload/config.def); the knobs are validated here with the library's own
 * parser, so a bad value stops before the command starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/warp-link.h"
#include "commands.h"
#include "files.h"
#include "report.h"
#include "runopt.h"
#include "summary.h"
#include "timers.h"

#define EXIT_TOOL_ERROR FT_EXIT_TOOL_ERROR
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
/* CMD passed but leaked, with --fail-on-leak (regrtest's "env changed"). */

static const char *progname = "flaketrap";

static void usage_run(FILE *f)
{
	fprintf(f,
"Usage: flaketrap run [OPTION]... [--] CMD [ARG]...\n"
"Run CMD with libflaketrap.so preloaded into it and every process it starts.\n"
"\n"
"Each option sets the knob of the same name (--sleep-min=1ms is\n"
"FLAKETRAP_SLEEP_MIN=1ms) and wins over the same variable in the\n"
"environment. DUR is a number and a unit ns, us, ms or s (1ns, 0.5s).\n"
"\n");
	ft_runopt_usage(f);
	fprintf(f,
"  -h, --help\n      show this help.\n"
"  -V, --version\n      show the version.\n"
"\n"
"Without --seed (or FLAKETRAP_SEED), one seed is drawn for the whole run;\n"
"each process logs it, so the run can be replayed with --seed.\n"
"\n"
"Every process of the tree logs: without --log (or FLAKETRAP_LOG), into a\n"
"fresh temporary directory, removed at the end. After CMD ends, the\n"
"processes it left running (flaketrap is their subreaper) are listed, then\n"
"ended: SIGTERM, and SIGKILL after --grace. Then the leaks and crashes the\n"
"logs hold are summed up on stderr, as flaketrap report does. Last, one\n"
"line: the seed and what the knobs did (sleeps seen and changed, delays\n"
"by kind, waits warped), summed over the processes' exit records.\n"
"\n"
"With --timers=warp (or FLAKETRAP_TIMERS=warp), libflaketrap-warp.so, found\n"
"beside libflaketrap.so, goes in LD_PRELOAD before it.\n"
"\n"
"Environment: FLAKETRAP_LIB overrides where libflaketrap.so is found,\n"
"FLAKETRAP_JEMALLOC where --junk finds libjemalloc.so.2. ASAN_OPTIONS gets\n"
"verify_asan_link_order=0 unless it sets it: the library comes first in\n"
"LD_PRELOAD, where an ASan program built by gcc wants its runtime.\n"
"\n"
"Exit status: CMD's own; 128+N when CMD was killed by signal N;\n"
"3 with --fail-on-leak when CMD exited 0 but leaked;\n"
"125 for a flaketrap error (bad option or knob); 126 when CMD cannot run;\n"
"127 when CMD is not found.\n");
}

__attribute__((format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_TOOL_ERROR);
}

/* The temporary log directory, while it is to be removed at exit. */
static char *own_log;

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		fprintf(stderr, "%s: cannot remove %s: %s\n", progname, path,
			strerror(errno));
	return 0;
}

static void remove_own_log(void)
{
	if (!own_log)
		return;
	nftw(own_log, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(own_log);
	own_log = NULL;
}

/*
 * The log directory of the run, absolute (the library resolves a relative
 * path against each process's cwd); a fresh private one when none is given,
 * so the whole tree's records can be summed up after CMD.
 */
static const char *log_dir(void)
{
	const char *dir = getenv("FLAKETRAP_LOG");
	const char *tmp = getenv("TMPDIR"), *why;
	char abs[PATH_MAX];

	if (!dir || !*dir) {
		if (asprintf(&own_log, "%s/flaketrap.XXXXXX",
			     tmp && *tmp ? tmp : "/tmp") < 0)
			die("%s", strerror(errno));
		if (!mkdtemp(own_log))
			die("cannot create a log directory in %s: %s",
			    tmp && *tmp ? tmp : "/tmp", strerror(errno));
		atexit(remove_own_log);
		setenv("FLAKETRAP_LOG", own_log, 1);
		return own_log;
	}
	if (ft_mkdir_p(dir) != 0)
		die("--log=%s: cannot make the log directory: %s", dir,
		    strerror(errno));
	if (!realpath(dir, abs))
		die("cannot resolve the log directory: %s", strerror(errno));
	/* Records that cannot be written would pass as none. */
	if (ft_dir_writable(abs) != 0)
		die("--log=%s: cannot write there: %s", dir, strerror(errno));
	if ((why = ft_log_dir_refusal(abs)))
		die("--log=%s: %s: %s", dir, why, FT_LOG_DIR_ADVICE);
	setenv("FLAKETRAP_LOG", abs, 1);
	return getenv("FLAKETRAP_LOG");
}

/* CMD while it runs, else 0: the handler must not signal a reused pid. */
static volatile sig_atomic_t child;

static void forward_signal(int sig)
{
	int saved = errno;

	if (child > 0)
		kill(child, sig);
	errno = saved;
}

/* Run argv, wait, and return the exit status flaketrap should give. */
static int run_command(char **argv, int *ran)
{
	/* Sent to us by name: CMD must get them too. */
	static const int forwarded[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
	/* The terminal sends them to CMD as well: ignore, as system() does. */
	static const int ignored[] = { SIGINT, SIGQUIT };
	struct sigaction fwd, ign, old_fwd[4], old_ign[2];
	sigset_t block, old_mask;
	char clock_file[PATH_MAX];
	int fds[2], status, err = 0;
	pid_t pid, got;
	size_t i;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	if (ft_timers_tree_make(clock_file, sizeof(clock_file)) != 0)
		exit(FT_EXIT_TOOL_ERROR);
	if (*clock_file)
		setenv(FT_WARP_TREE_ENV, clock_file, 1);
	/*
	 * Handlers in place before the fork, signals held until `child` is
	 * known: a SIGTERM at any moment reaches CMD, never orphans it.
	 */
	sigemptyset(&block);
	for (i = 0; i < 4; i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = forward_signal;
	fwd.sa_flags = SA_RESTART;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	for (i = 0; i < 4; i++)
		sigaction(forwarded[i], &fwd, &old_fwd[i]);
	for (i = 0; i < 2; i++)
		sigaction(ignored[i], &ign, &old_ign[i]);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = errno;
		ft_timers_tree_remove(clock_file);
		die("fork: %s", strerror(err));
	}
	if (pid == 0) {
		for (i = 0; i < 4; i++)
			sigaction(forwarded[i], &old_fwd[i], NULL);
		for (i = 0; i < 2; i++)
			sigaction(ignored[i], &old_ign[i], NULL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		close(fds[0]);
		execvp(argv[0], argv);
		err = errno;
		n = write(fds[1], &err, sizeof(err));
		(void)n;
		_exit(EXIT_CANNOT_RUN);
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(fds[1]);
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	/*
	 * As a subreaper we also inherit CMD's orphans: those that end
	 * while CMD runs are reaped here; what outlives CMD is looked at
	 * afterwards.
	 */
	while ((got = waitpid(-1, &status, 0)) != pid)
		if (got < 0 && errno != EINTR)
			die("waitpid: %s", strerror(errno));
	ft_timers_tree_remove(clock_file);
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = 0;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (n == (ssize_t)sizeof(err)) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[0],
			strerror(err));
		return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	*ran = 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * After CMD: ends what it left running, reads the run's logs, and sums up
 * on stderr what there is to say. Returns whether anything leaked.
 */
static int summarize(struct ft_logs *l, const char *dir, int keep_log,
		     const struct ft_runopt *o)
{
	struct ft_summary sum;
	int leaked;

	/* A path that will not exist is never printed. */
	l->paths_gone = own_log && !keep_log;
	leaked = ft_summarize(stderr, l, dir, o->grace_ms, o->grace_text,
			      &sum);
	if (own_log && keep_log) {
		fprintf(stderr, "%s: the logs are kept in %s\n", progname,
			own_log);
		free(own_log);
		own_log = NULL;
	} else if (own_log && (sum.leaks || sum.crashes)) {
		fprintf(stderr, "%s: the logs are removed (--keep-log keeps"
				" them)\n", progname);
	}
	remove_own_log();
	return leaked;
}

int ft_cmd_run(int argc, char **argv)
{
	static char run_name[] = "flaketrap run";
	struct option opts[FT_RUNOPT_ENTRIES + 3];
	int c, r, status, leaked, ran = 0, logs_read;
	size_t lost;
	struct ft_runopt o;
	struct ft_config cfg;
	struct ft_logs logs;
	unsigned long long seed;
	const char *dir;
	char lead[64];
	size_t n = 0;

	ft_runopt_init(&o);
	ft_runopt_table(opts, &n);
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	argv[0] = run_name;	/* getopt's messages name it */
	optind = 1;
	while ((c = ft_getopt(argc, argv, "+hV", opts, run_name)) != -1) {
		if (c == 'h') {
			usage_run(stdout);
			return 0;
		}
		if (c == 'V') {
			ft_print_version();
			return 0;
		}
		r = ft_runopt_handle(&o, c, optarg, "flaketrap run");
		if (r <= 0) {
			if (r == 0)
				fprintf(stderr, "Try 'flaketrap run --help'.\n");
			ft_runopt_free(&o);
			return EXIT_TOOL_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s run: no command given\n"
				"Try 'flaketrap run --help'.\n", progname);
		ft_runopt_free(&o);
		return EXIT_TOOL_ERROR;
	}
	r = ft_runopt_check_command(&o, "flaketrap run", argv[optind]);
	ft_runopt_free(&o);	/* run replays nothing */
	if (!r)
		r = ft_runopt_environment(&o, &cfg);
	if (r)
		return r;
	dir = log_dir();
	seed = ft_ensure_seed();
	ft_logs_init(&logs, progname);
	/* CMD may be static, or not found: then nothing logs. */
	logs.empty_ok = 1;
	/* A --log directory may hold older runs: only new records count. */
	if (!own_log)
		ft_logs_snapshot(&logs, dir);
	/* CMD's orphans become ours, not init's: we can see and end them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	status = run_command(argv + optind, &ran);
	/*
	 * A reader of our stderr that has gone (run ... 2>&1 | head -1) must
	 * change neither CMD's status nor leave the temporary log behind.
	 */
	signal(SIGPIPE, SIG_IGN);
	leaked = summarize(&logs, dir, o.keep_log, &o);
	/*
	 * What the knobs did, and the seed that replays it; nothing when no
	 * process loaded the library (CMD not found, or static).
	 */
	logs_read = logs.records > 0;
	lost = logs.lost;
	if (logs_read) {
		snprintf(lead, sizeof(lead), "%s: seed %llu; ", progname,
			 seed);
		ft_report_counters(stderr, &logs, lead);
	}
	ft_logs_free(&logs);
	/* A run that injected nothing must not pass for one that did. */
	if (ran && !logs_read && (r = ft_runopt_unloaded(&o, run_name,
							 argv[optind])))
		return r;
	if (o.fail_on_leak)
		return ft_fail_on_leak_status(stderr, progname, status, leaked,
					      lost);
	return status;
}
