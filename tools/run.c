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
#include <time.h>
#include <ftw.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../preload/config.h"
#include "commands.h"
#include "leftovers.h"
#include "report.h"

#define EXIT_TOOL_ERROR FT_EXIT_TOOL_ERROR
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
/* CMD passed but leaked, with --fail-on-leak (regrtest's "env changed"). */
#define EXIT_LEAKED 3

#ifndef FT_LIBDIR
#define FT_LIBDIR "/usr/local/lib"
#endif

static const char *progname = "flaketrap";

static void usage_run(FILE *f)
{
	int i;

	fprintf(f,
"Usage: flaketrap run [OPTION]... [--] CMD [ARG]...\n"
"Run CMD with libflaketrap.so preloaded into it and every process it starts.\n"
"\n"
"Each option sets the knob of the same name (--sleep-min=1ms is\n"
"FLAKETRAP_SLEEP_MIN=1ms) and wins over the same variable in the\n"
"environment. DUR is a number and a unit ns, us, ms or s (1ns, 0.5s).\n"
"\n");
	for (i = 0; i < FT_NKNOBS; i++) {
		char opt[40];
		size_t j;

		for (j = 0; ft_knobs[i].name[j] && j < sizeof(opt) - 1; j++)
			opt[j] = ft_knobs[i].name[j] == '_'
					 ? '-'
					 : ft_lower(ft_knobs[i].name[j]);
		opt[j] = '\0';
		fprintf(f, "  --%s=VALUE\n      %s.\n      Expected: %s;"
			   " default: %s.\n",
			opt, ft_knobs[i].help, ft_knobs[i].form,
			ft_knobs[i].def[0] ? ft_knobs[i].def : "unset");
	}
	fprintf(f,
"  --fail-on-leak, --fail-env-changed\n"
"      exit 3 when CMD exits 0 but a process of its tree leaked a child or\n"
"      a thread, or left a process running after CMD ended.\n"
"  --keep-log\n"
"      keep the temporary log directory made when no --log is given,\n"
"      and print where it is.\n"
"  --grace=DUR\n"
"      how long a process left running after CMD has to end after\n"
"      SIGTERM, before SIGKILL; default: 2s.\n"
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
"logs hold are summed up on stderr, as flaketrap report does. Nothing is\n"
"printed when there is nothing to say.\n"
"\n"
"With --timers=warp (or FLAKETRAP_TIMERS=warp), libflaketrap-warp.so, found\n"
"beside libflaketrap.so, goes in LD_PRELOAD before it.\n"
"\n"
"Environment: FLAKETRAP_LIB overrides where libflaketrap.so is found.\n"
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

/*
 * Why path cannot go in LD_PRELOAD, or NULL. ld.so splits the list at
 * spaces and colons and skips what it cannot load with a mere warning:
 * the run would change nothing and pass.
 */
static const char *unusable_library(const char *path)
{
	unsigned char magic[4];
	struct stat st;
	ssize_t n;
	int fd;

	if (strpbrk(path, " :\t\n"))
		return "a space or a colon in its path breaks LD_PRELOAD";
	if (stat(path, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strerror(errno);
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0)
		return "not an ELF shared object";
	return NULL;
}

/* $FLAKETRAP_LIB, then beside this executable, then the install path. */
static void find_library(char *out, size_t outlen)
{
	static const char *const beside[] = {
		"/../preload/libflaketrap.so",		/* build tree */
		"/../lib/flaketrap/libflaketrap.so",	/* installed */
	};
	char exe[PATH_MAX], *slash;
	const char *env = getenv("FLAKETRAP_LIB"), *why;
	ssize_t n;
	size_t i;

	if (env && *env) {
		if (!realpath(env, out))
			die("FLAKETRAP_LIB=%s: %s", env, strerror(errno));
		why = unusable_library(out);
		if (why)
			die("FLAKETRAP_LIB=%s: %s", env, why);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
			char cand[PATH_MAX + 64];

			snprintf(cand, sizeof(cand), "%s%s", exe, beside[i]);
			if (access(cand, F_OK) == 0 && realpath(cand, out))
				goto found;
		}
	}
	snprintf(out, outlen, "%s/flaketrap/libflaketrap.so", FT_LIBDIR);
	if (access(out, F_OK) != 0)
		die("cannot find libflaketrap.so (looked beside this program"
		    " and in %s/flaketrap); set FLAKETRAP_LIB", FT_LIBDIR);
found:
	why = unusable_library(out);
	if (why)
		die("%s: %s", out, why);
}

static int ends_with_name(const char *entry, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && memcmp(entry + len - n, name, n) == 0 &&
	       (len == n || entry[len - n - 1] == '/');
}

static int is_our_library(const char *entry, size_t len)
{
	return ends_with_name(entry, len, "libflaketrap.so") ||
	       ends_with_name(entry, len, FT_WARP_NAME);
}

/*
 * Our libraries first (the warp object, when given, before the library),
 * then the other entries of LD_PRELOAD (either separator), minus any copy
 * of ours: nested runs load them once.
 */
static void set_preload(const char *warp, const char *lib)
{
	const char *old = getenv("LD_PRELOAD"), *p, *end;
	size_t cap = strlen(lib) + (warp ? strlen(warp) + 1 : 0) +
		     (old ? strlen(old) : 0) + 2, len;
	char *val = malloc(cap);

	if (!val)
		die("%s", strerror(errno));
	val[0] = '\0';
	if (warp) {
		strcpy(val, warp);
		strcat(val, ":");
	}
	strcat(val, lib);
	for (p = old; p && *p; p = end) {
		while (*p == ' ' || *p == ':')
			p++;
		end = p + strcspn(p, " :");
		len = (size_t)(end - p);
		if (len == 0 || is_our_library(p, len))
			continue;
		strcat(val, ":");
		strncat(val, p, len);
	}
	setenv("LD_PRELOAD", val, 1);
	free(val);
}

void ft_run_preload(const struct ft_config *cfg)
{
	char lib[PATH_MAX], warp[PATH_MAX + sizeof(FT_WARP_NAME)], *slash;
	const char *why;

	find_library(lib, sizeof(lib));
	if (cfg->timers != FT_TIMERS_WARP) {
		set_preload(NULL, lib);
		return;
	}
	/* Beside the library, wherever that was found. */
	strcpy(warp, lib);
	slash = strrchr(warp, '/');
	strcpy(slash ? slash + 1 : warp, FT_WARP_NAME);
	why = unusable_library(warp);
	if (why)
		die("%s (needed by --timers=warp): %s", warp, why);
	set_preload(warp, lib);
}

static void mkdir_p(const char *dir)
{
	char path[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(path))
		die("--log=%s: path too long", dir);
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("cannot create the log directory: %s", strerror(errno));
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
	const char *tmp = getenv("TMPDIR");
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
	mkdir_p(dir);
	if (!realpath(dir, abs))
		die("cannot resolve the log directory: %s", strerror(errno));
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
static int run_command(char **argv)
{
	/* Sent to us by name: CMD must get them too. */
	static const int forwarded[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
	/* The terminal sends them to CMD as well: ignore, as system() does. */
	static const int ignored[] = { SIGINT, SIGQUIT };
	struct sigaction fwd, ign, old_fwd[4], old_ign[2];
	sigset_t block, old_mask;
	int fds[2], status, err = 0;
	pid_t pid, got;
	size_t i;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
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
	if (pid < 0)
		die("fork: %s", strerror(errno));
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
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = 0;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (n == (ssize_t)sizeof(err)) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[0],
			strerror(err));
		return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The leaked_child record that names pid, or NULL (the latest wins). */
static const struct ft_record *creation_of(const struct ft_logs *l, pid_t pid)
{
	const struct ft_record *found = NULL;
	long long named;
	size_t i;

	for (i = 0; i < l->nrecs; i++)
		if (!strcmp(l->recs[i].event, "leaked_child") &&
		    !ft_json_int(ft_json_get(l->recs[i].json, "child"), &named) &&
		    named == pid)
			found = &l->recs[i];
	return found;
}

/* --grace: as given (for messages), and in ms. */
static const char *grace_text = FT_LEFTOVER_GRACE_DEFAULT;
static long long grace_ms = 2000;

static void print_leftovers(const struct ft_leftover *lv, size_t n,
			    const struct ft_logs *l, struct ft_symbolizer *s)
{
	const struct ft_record *rec;
	const struct ft_json *bt;
	size_t i;

	fprintf(stderr, "%s: %zu %s outlived the command, and %s ended\n",
		progname, n, n == 1 ? "process" : "processes",
		n == 1 ? "was" : "were");
	for (i = 0; i < n; i++) {
		if (lv[i].signal == SIGKILL)
			fprintf(stderr, "  pid %d %s (SIGKILL: still there %s"
					" after SIGTERM)\n",
				(int)lv[i].pid, lv[i].what, grace_text);
		else
			fprintf(stderr, "  pid %d %s (%s)\n", (int)lv[i].pid,
				lv[i].what,
				lv[i].signal == SIGTERM ? "ended by SIGTERM"
							: "ended by itself");
		rec = creation_of(l, lv[i].pid);
		if (!rec)
			continue;
		bt = ft_json_get(rec->json, "backtrace");
		fprintf(stderr, "    left by pid %lld %s, made by %s (%s:%lu)%s\n",
			rec->pid, rec->file->program,
			ft_json_str(ft_json_get(rec->json, "origin")),
			rec->file->path, rec->line,
			bt && bt->count ? ":" : "; no backtrace");
		if (bt)
			ft_report_frames(stderr, bt, s, "      ");
	}
}

/*
 * After CMD: ends what it left running, reads the run's logs, and sums up
 * on stderr what there is to say. Returns whether anything leaked.
 */
static int summarize(struct ft_logs *l, const char *dir, int keep_log)
{
	struct ft_leftover *lv;
	struct ft_symbolizer *s;
	struct ft_report *r;
	size_t n;
	int leaked;

	n = ft_leftovers_end(&lv, grace_ms);
	ft_logs_add(l, dir);
	r = ft_report_build(l);
	s = ft_sym_new();
	if (n)
		print_leftovers(lv, n, l, s);
	if (ft_report_leaks(r) || ft_report_crashes(r) || l->skipped)
		ft_report_text(stderr, r, s);
	leaked = n || ft_report_leaks(r);
	ft_sym_free(s);
	ft_report_free(r);
	ft_leftovers_free(lv, n);
	if (own_log && keep_log) {
		fprintf(stderr, "%s: the logs are kept in %s\n", progname,
			own_log);
		free(own_log);
		own_log = NULL;
	}
	remove_own_log();
	return leaked;
}

/*
 * One seed for the whole process tree, so the run can be replayed: each
 * process would otherwise draw its own.
 */
static void ensure_seed(void)
{
	char seed[24];
	uint64_t v;
	struct timespec ts;

	if (getenv(FT_ENV_PREFIX "SEED"))
		return;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 32;
	}
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)v);
	setenv(FT_ENV_PREFIX "SEED", seed, 1);
}

static void option_to_env(int knob, const char *value)
{
	char name[64];

	snprintf(name, sizeof(name), FT_ENV_PREFIX "%s", ft_knobs[knob].name);
	setenv(name, value, 1);
}

int ft_cmd_run(int argc, char **argv)
{
	static char run_name[] = "flaketrap run";
	extern char **environ;
	struct option opts[FT_NKNOBS + 7];
	char names[FT_NKNOBS][40], err[1024];
	int i, c, status, fail_on_leak = 0, keep_log = 0, leaked;
	struct ft_config cfg;
	struct ft_logs logs;
	const char *dir;
	size_t j;

	for (i = 0; i < FT_NKNOBS; i++) {
		for (j = 0; ft_knobs[i].name[j] && j < sizeof(names[i]) - 1;
		     j++)
			names[i][j] = ft_knobs[i].name[j] == '_'
					      ? '-'
					      : ft_lower(ft_knobs[i].name[j]);
		names[i][j] = '\0';
		opts[i] = (struct option){ names[i], required_argument, NULL,
					   1000 + i };
	}
	opts[FT_NKNOBS] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[FT_NKNOBS + 1] = (struct option){ "version", no_argument, NULL,
					       'V' };
	opts[FT_NKNOBS + 2] = (struct option){ "fail-on-leak", no_argument,
					       NULL, 'L' };
	opts[FT_NKNOBS + 3] = (struct option){ "fail-env-changed",
					       no_argument, NULL, 'L' };
	opts[FT_NKNOBS + 4] = (struct option){ "keep-log", no_argument, NULL,
					       'K' };
	opts[FT_NKNOBS + 5] = (struct option){ "grace", required_argument,
					       NULL, 'G' };
	opts[FT_NKNOBS + 6] = (struct option){ NULL, 0, NULL, 0 };
	argv[0] = run_name;	/* getopt's messages name it */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		if (c == 'h') {
			usage_run(stdout);
			return 0;
		}
		if (c == 'V') {
			printf("flaketrap %s\n", FT_VERSION);
			return 0;
		}
		if (c == 'L' || c == 'K') {
			*(c == 'L' ? &fail_on_leak : &keep_log) = 1;
			continue;
		}
		if (c == 'G') {
			int64_t ns;
			const char *why;

			if (ft_parse_duration(optarg, &ns, &why)) {
				fprintf(stderr, "%s run: --grace=%s: %s;"
						" expected DUR (1s, 500ms)\n",
					progname, optarg, why);
				return EXIT_TOOL_ERROR;
			}
			grace_text = optarg;
			grace_ms = ns / 1000000;
			continue;
		}
		if (c < 1000 || c >= 1000 + FT_NKNOBS) {
			fprintf(stderr, "Try 'flaketrap run --help'.\n");
			return EXIT_TOOL_ERROR;
		}
		option_to_env(c - 1000, optarg);
	}
	if (optind >= argc) {
		fprintf(stderr, "%s run: no command given\n"
				"Try 'flaketrap run --help'.\n", progname);
		return EXIT_TOOL_ERROR;
	}
	if (ft_config_parse(&cfg, environ, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return EXIT_TOOL_ERROR;
	}
	ft_run_preload(&cfg);
	dir = log_dir();
	ensure_seed();
	ft_logs_init(&logs, progname);
	/* CMD may be static, or not found: then nothing logs. */
	logs.empty_ok = 1;
	/* A --log directory may hold older runs: only new records count. */
	if (!own_log)
		ft_logs_snapshot(&logs, dir);
	/* CMD's orphans become ours, not init's: we can see and end them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		die("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	status = run_command(argv + optind);
	leaked = summarize(&logs, dir, keep_log);
	ft_logs_free(&logs);
	if (fail_on_leak && status == 0 && leaked)
		return EXIT_LEAKED;
	return status;
}
