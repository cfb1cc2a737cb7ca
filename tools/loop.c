/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap loop`: runs CMD under the library again and again, J at a time,
 * each run with its own seed derived from a base seed, until N runs, the
 * first failure or Ctrl-C. Each run has a supervisor (supervise.c); a
 * failing run's directory is kept with its output, logs, seed and a
 * reproduce.sh. --load N adds N processes that burn CPU meanwhile.
 */
#include <errno.h>
#include <dirent.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "junit.h"
#include "loop.h"
#include "runopt.h"
#include "supervise.h"

#define EXIT_FAILED 1
#define EXIT_LEAKED FT_EXIT_LEAKED
/* Plain progress lines, when not on a terminal: one per this long. */
#define PLAIN_EVERY_NS 5000000000LL
#define TTY_EVERY_NS 250000000LL
#define MAX_LOAD 1024

enum { OPT_FOREVER = 0x20000, OPT_UNTIL_FAIL, OPT_KEEP_GOING, OPT_TIMEOUT,
       OPT_LOAD, OPT_OUT, OPT_JSON, OPT_MAX_KEPT, OPT_FAILURE, OPT_IGNORE,
       OPT_JUNIT };

/* Failing runs kept at most, unless --max-kept: a --forever loop of a
 * test that fails often must not fill the disk. */
#define MAX_KEPT_DEFAULT 100

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap loop [-n N | --forever] [-j J] [--until-fail | --keep-going]\n"
"                      [--timeout DUR] [--load N] [--out DIR] [--max-kept N]\n"
"                      [--failure RE] [--ignore RE] [--json] [--junit FILE]\n"
"                      [RUN OPTION]... -- CMD [ARG]...\n"
"Run CMD under libflaketrap.so again and again, J runs at a time, each with\n"
"its own seed, and keep what each failing run leaves: its output, its logs,\n"
"its seed and a reproduce.sh that runs it again.\n"
"\n"
"  -n, --runs=N     stop after N runs (default: --forever)\n"
"  --forever        no limit: until --until-fail stops it, or Ctrl-C\n"
"  -j, --jobs=J     J runs at a time (default: the number of CPUs)\n"
"  --until-fail     stop at the first failing run (the runs still going are\n"
"                   stopped and not counted)\n"
"  --keep-going     go on after failures (the default)\n"
"  --timeout=DUR    a run still going after DUR hangs: every process of its\n"
"                   tree that has the library writes the stacks of all its\n"
"                   threads to its log, then the run's process group is\n"
"                   killed (SIGKILL), and the run counts as timed out\n"
"  --load=N         N more processes burn CPU while the loop runs; they are\n"
"                   always stopped when it ends\n"
"  --out=DIR        where failing runs are kept (default: a new private\n"
"                   flaketrap-runs.XXXXXX here, removed if nothing is kept),\n"
"                   one directory each: stdout, stderr, log/, flaketrap.txt\n"
"                   (what flaketrap run would print), seed, result and\n"
"                   reproduce.sh\n"
"  --max-kept=N     keep at most N failing runs (default: 100); later ones\n"
"                   are counted and named with their seed, not kept\n"
"  --failure=RE     a failing run counts only when its stdout or stderr\n"
"                   matches RE (POSIX extended); the others pass (Go's stress)\n"
"  --ignore=RE      a failing run whose stdout or stderr matches RE passes\n"
"  --json           the summary as one JSON document on stdout (the rest\n"
"                   goes to stderr)\n"
"  --junit=FILE     also write FILE as JUnit XML (for CI): one test case per\n"
"                   run, a failing one with the end of its stderr\n"
"  -h, --help       show this help\n"
"  -V, --version    show the version\n"
"\n"
"Every option of flaketrap run is taken too, and applies to each run\n"
"(flaketrap run --help says what each does and takes):\n");
	ft_runopt_usage_names(f);
	fprintf(f,
"\n"
"--seed (or FLAKETRAP_SEED) is the base seed, random when not given and\n"
"printed; run I gets a seed derived from it and I, so the same base seed\n"
"gives the same seeds again. With --log=DIR every run's log is kept in\n"
"DIR/run-I, passing runs too (for flaketrap report DIR; a DIR that holds\n"
"another loop's runs is refused); --keep-log keeps the directory of every\n"
"run in --out, passing ones too.\n"
"\n"
"A run fails when CMD exits non-zero, is killed by a signal or times out;\n"
"with --fail-on-leak, also when it leaks. A progress line is kept up to\n"
"date on a terminal; otherwise a plain line comes every 5 seconds.\n"
"\n"
"Exit status: 0 when every run passed; 1 when any failed or timed out;\n"
"3 when the only failures were leaks (--fail-on-leak); 130 after Ctrl-C\n"
"(128+N after signal N; 141 when the reader of the output has gone),\n"
"once every run and load process has stopped;\n"
"125 for a flaketrap error (bad option, unwritable --out); 126 when CMD\n"
"cannot run; 127 when CMD is not found.\n");
}

struct slot {
	pid_t sv;		/* 0: free */
	int fd;
	long long run;
	unsigned long long seed;
	char seedtxt[24];
	/*
	 * The slot's directory, made once and used by run after run (making
	 * and removing directories costs more than a run of true); renamed
	 * away when a run is kept.
	 */
	char *dir;
	int ready;
	char *log;		/* the run's FLAKETRAP_LOG */
};

struct failure {
	long long run;
	unsigned long long seed;
	char what[64];
	char *kept;		/* directory, or NULL */
};

struct kind {
	char what[64];
	long long n;
};

struct loop {
	FILE *out;		/* for humans: stdout; stderr with --json */
	int tty;
	long long max_runs;	/* -1: forever */
	int jobs, until_fail, json, load;
	long long max_kept, nkept;	/* failing runs kept: at most, so far */
	regex_t failure, ignore;	/* --failure, --ignore */
	int has_failure, has_ignore;
	long long ignored;		/* failing runs --failure/--ignore let pass */
	const char *junit;		/* --junit FILE, or NULL */
	FILE *junit_cases;		/* its test cases, one per run so far */
	int64_t timeout_ns;
	const char *outdir;	/* NULL: a private one, made here */
	int own_outdir;		/* removed at the end when nothing is kept */
	char *logdir;		/* --log, absolute; NULL */
	struct ft_runopt opt;
	struct ft_config cfg;
	char **argv;
	char *orig_preload;
	char cwd[PATH_MAX];
	char self[PATH_MAX];
	unsigned long long base;
	/* counts */
	long long started, runs, passed, failed, timed_out, leak_failed,
		leaked, stopped;
	struct failure *fails;
	size_t nfails;
	struct kind kinds[32];
	size_t nkinds;
	pid_t burners[MAX_LOAD];
	long long t0, last_progress;
	int stopping;
	int unloaded;		/* a run without the library: 125 */
	long long sleeps_seen, sleeps_changed, delays, waits_warped;
	long long chaos_holds;
};

static volatile sig_atomic_t got_signal;
static int wake[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	if (!got_signal)
		got_signal = sig;
	n = write(wake[1], "", 1);
	(void)n;
	errno = saved;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void oom(void)
{
	perror("flaketrap loop");
	exit(FT_EXIT_TOOL_ERROR);
}

__attribute__((format(printf, 1, 2)))
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

/* splitmix64: run i's seed from the base seed. */
unsigned long long ft_loop_seed(unsigned long long base, long long i)
{
	unsigned long long z = base + (unsigned long long)i *
					      0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void ft_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int ft_mkdir_p(const char *dir)
{
	char path[PATH_MAX], *p;
	struct stat st;

	if (strlen(dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	/* A file by that name would be taken for the directory, then read. */
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int ft_dir_writable(const char *dir)
{
	char *probe = xasprintf("%s/.flaketrap-probe.%d", dir, (int)getpid());
	int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int saved = errno;

	if (fd >= 0) {
		close(fd);
		unlink(probe);
	}
	free(probe);
	errno = saved;
	return fd >= 0 ? 0 : -1;
}

/*
 * Why the library would refuse dir as FLAKETRAP_LOG (see prepare_log_dir
 * in preload/init.c: others could plant files there that a report would
 * take for ours), or NULL.
 */
const char *ft_log_dir_refusal(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return NULL;	/* said by the caller's next step */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return "writable by group or others without the sticky bit";
	if (st.st_uid != geteuid())
		return "a directory of another user";
	return NULL;
}

/* Whether dir holds the runs of an earlier loop (run-N). */
static int holds_runs(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = strncmp(e->d_name, "run-", 4) == 0;
	closedir(d);
	return found;
}

void ft_shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * reproduce.sh: the run again, as `flaketrap run` with the same seed, the
 * same value of every knob and the same run options, from the same
 * directory. Its arguments go to flaketrap run (--keep-log, a knob).
 */
static void write_reproduce(struct loop *lp, const char *dir,
			    const struct slot *s, const char *what)
{
	char *path = xasprintf("%s/reproduce.sh", dir);
	const char *lib = getenv("FLAKETRAP_LIB");
	FILE *f = fopen(path, "we");
	size_t i;
	int k;

	if (!f) {
		fprintf(stderr, "flaketrap loop: %s: %s\n", path,
			strerror(errno));
		free(path);
		return;
	}
	fprintf(f, "#!/bin/sh\n"
		   "# flaketrap loop: run %lld of base seed %llu: %s.\n"
		   "# Runs it again under flaketrap run, with the same seed and"
		   " knobs;\n# arguments go to flaketrap run"
		   " (./reproduce.sh --keep-log).\ncd ",
		s->run, lp->base, what);
	ft_shell_quote(f, lp->cwd);
	fprintf(f, " || exit 125\nexec env");
	if (lp->orig_preload && *lp->orig_preload) {
		fprintf(f, " LD_PRELOAD=");
		ft_shell_quote(f, lp->orig_preload);
	}
	if (lib && *lib) {
		fprintf(f, " FLAKETRAP_LIB=");
		ft_shell_quote(f, lib);
	}
	for (k = 0; k < FT_NKNOBS; k++) {
		/* An unset pattern knob has no value to give. */
		if (k == FT_KNOB_log ||
		    (ft_knobs[k].kind == FT_KIND_PATTERNS &&
		     !*ft_config_text(&lp->cfg, k)))
			continue;
		fprintf(f, " \\\n\t" FT_ENV_PREFIX "%s=", ft_knobs[k].name);
		ft_shell_quote(f, k == FT_KNOB_seed
					  ? s->seedtxt
					  : ft_config_text(&lp->cfg, k));
	}
	fprintf(f, " \\\n\t");
	ft_shell_quote(f, lp->self);
	fprintf(f, " run");
	for (i = 0; i < lp->opt.nreplay; i++) {
		fputc(' ', f);
		ft_shell_quote(f, lp->opt.replay[i]);
	}
	fprintf(f, " \"$@\" --");
	for (i = 0; lp->argv[i]; i++) {
		fputc(' ', f);
		ft_shell_quote(f, lp->argv[i]);
	}
	fputc('\n', f);
	if (fclose(f) != 0)
		fprintf(stderr, "flaketrap loop: %s: %s\n", path,
			strerror(errno));
	chmod(path, 0755);
	free(path);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

static void count_kind(struct loop *lp, const char *what)
{
	size_t i;

	for (i = 0; i < lp->nkinds; i++)
		if (!strcmp(lp->kinds[i].what, what)) {
			lp->kinds[i].n++;
			return;
		}
	if (lp->nkinds < sizeof(lp->kinds) / sizeof(lp->kinds[0])) {
		snprintf(lp->kinds[lp->nkinds].what,
			 sizeof(lp->kinds[0].what), "%s", what);
		lp->kinds[lp->nkinds++].n = 1;
	}
}

static void clear_progress(struct loop *lp)
{
	if (lp->tty && lp->last_progress)
		fputs("\r\033[K", lp->out);
}

static void progress(struct loop *lp, int force)
{
	long long now = now_ns(), el = now - lp->t0;
	double secs = (double)el / 1e9;

	if (!force && now - lp->last_progress <
			      (lp->tty ? TTY_EVERY_NS : PLAIN_EVERY_NS))
		return;
	lp->last_progress = now;
	if (lp->tty)
		fputs("\r\033[K", lp->out);
	fprintf(lp->out, "%lld:%02lld:%02lld %lld run%s (%lld running):"
			 " %lld failed, %lld leaked, %lld timed out,"
			 " %.1f runs/s",
		el / 3600000000000LL, el / 60000000000LL % 60,
		el / 1000000000LL % 60, lp->runs, lp->runs == 1 ? "" : "s",
		lp->started - lp->runs - lp->stopped,
		lp->failed + lp->leak_failed + lp->timed_out, lp->leaked,
		lp->timed_out, secs > 0 ? (double)lp->runs / secs : 0.0);
	fputs(lp->tty ? "" : "\n", lp->out);
	fflush(lp->out);
}

/* What a failing run said last: the last lines of its stderr, as a hint. */
#define TAIL_LINES 3
#define TAIL_WIDTH 160
static void put_stderr_tail(FILE *out, const char *dir)
{
	char *path = xasprintf("%s/stderr", dir), buf[8192];
	const char *lines[TAIL_LINES + 1], *p, *end;
	size_t len;
	ssize_t n;
	int fd, k = 0, i, j;
	off_t size;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)(sizeof(buf) - 1), SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	/* The starts of the last TAIL_LINES lines, newest first. */
	for (p = buf + len; k < TAIL_LINES && p > buf; k++) {
		while (p > buf && p[-1] != '\n')
			p--;
		lines[k] = p;
		if (p > buf)
			p--;
	}
	for (i = k - 1; i >= 0; i--) {
		end = strchr(lines[i], '\n');
		j = end ? (int)(end - lines[i]) : (int)strlen(lines[i]);
		fputs("  | ", out);
		for (n = 0; n < j && n < TAIL_WIDTH; n++)
			fputc(lines[i][n] >= 0x20 || lines[i][n] == '\t' ||
				      (unsigned char)lines[i][n] >= 0x80
				      ? lines[i][n] : '?', out);
		fputs(n < j ? "...\n" : "\n", out);
	}
}

/* Whether the file dir/name (its last MiB) holds a line matching re. */
static int output_matches(const char *dir, const char *name, regex_t *re)
{
	char *path = xasprintf("%s/%s", dir, name), *buf;
	size_t cap = 1 << 20;
	ssize_t n;
	off_t size;
	int fd, hit;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)cap ? size - (off_t)cap : 0, SEEK_SET);
	buf = malloc(cap + 1);
	if (!buf)
		oom();
	n = read(fd, buf, cap);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	hit = regexec(re, buf, 0, NULL, 0) == 0;
	free(buf);
	return hit;
}

static int run_matches(const struct slot *s, regex_t *re)
{
	return output_matches(s->dir, "stdout", re) ||
	       output_matches(s->dir, "stderr", re);
}

/* Where a failing run is kept: OUT/run-I.seed-S, or with a suffix. */
static char *keep_dir(struct loop *lp, const struct slot *s)
{
	char *name;
	int i;

	for (i = 0; i < 1000; i++) {
		name = i ? xasprintf("%s/run-%lld.seed-%s.%d", lp->outdir,
				     s->run, s->seedtxt, i)
			 : xasprintf("%s/run-%lld.seed-%s", lp->outdir,
				     s->run, s->seedtxt);
		if (access(name, F_OK) != 0 && rename(s->dir, name) == 0)
			return name;
		free(name);
		if (errno != EEXIST && errno != ENOTEMPTY && errno != 0)
			break;
	}
	return NULL;
}

static int remove_file(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)st;
	if (ftw->level > 0)
		(flag == FTW_DP ? rmdir : unlink)(path);
	return 0;
}

/* A run not kept: its logs go, the rest is overwritten by the next. */
static void clean_slot(struct loop *lp, struct slot *s)
{
	if (!lp->logdir)
		nftw(s->log, remove_file, 16, FTW_DEPTH | FTW_PHYS);
}

/* The run's test case: a failure holds the last 8 KiB of its stderr. */
static void junit_run(struct loop *lp, const struct slot *s,
		      const struct ft_sv_result *r, const char *what)
{
	char *path, *name, *msg, body[8192];
	ssize_t n = 0;
	off_t size;
	int fd;

	name = xasprintf("run %lld (seed %s)", s->run, s->seedtxt);
	msg = what ? xasprintf("%s%s", what, r->leaked ? ", leaked" : "")
		   : NULL;
	if (what) {
		path = xasprintf("%s/stderr", s->dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (fd >= 0) {
			size = lseek(fd, 0, SEEK_END);
			lseek(fd, size > (off_t)sizeof(body)
					  ? size - (off_t)sizeof(body) : 0,
			      SEEK_SET);
			n = read(fd, body, sizeof(body));
			close(fd);
		}
	}
	ft_junit_case(lp->junit_cases, "flaketrap.loop", name,
		      (double)r->ns / 1e9, msg, body, n > 0 ? (size_t)n : 0);
	free(name);
	free(msg);
}

static void finish_run(struct loop *lp, struct slot *s)
{
	struct ft_sv_result r;
	char what[64], *kept = NULL, *text;
	int bad, capped;

	if (ft_sv_finish(s->sv, s->fd, &r) != 0) {
		memset(&r, 0, sizeof(r));
		r.status = r.exit_code = FT_EXIT_TOOL_ERROR;
		snprintf(what, sizeof(what), "supervisor lost");
	} else {
		ft_sv_describe(&r, what, sizeof(what));
	}
	s->sv = 0;
	if (r.stopped) {
		lp->stopped++;
		clean_slot(lp, s);
		goto out;
	}
	/* A run that injected nothing says nothing of CMD: stop, 125. */
	if (r.unloaded && !lp->unloaded &&
	    ft_runopt_unloaded(&lp->opt, "flaketrap loop", lp->argv[0])) {
		lp->unloaded = 1;
		lp->stopping = 1;
	}
	lp->runs++;
	lp->sleeps_seen += r.sleeps_seen;
	lp->sleeps_changed += r.sleeps_changed;
	lp->delays += r.delays;
	lp->waits_warped += r.waits_warped;
	lp->chaos_holds += r.chaos_holds;
	if (r.leaked)
		lp->leaked++;
	bad = r.status != 0 || r.timed_out;
	/* Go's stress: only the failures that say so, or not the known ones. */
	if (bad && ((lp->has_failure && !run_matches(s, &lp->failure)) ||
		    (lp->has_ignore && run_matches(s, &lp->ignore)))) {
		bad = 0;
		lp->ignored++;
	}
	if (lp->junit_cases)
		junit_run(lp, s, &r, bad ? what : NULL);
	if (!bad)
		lp->passed++;
	else if (r.timed_out)
		lp->timed_out++;
	else if (r.status == EXIT_LEAKED && r.exit_code == 0 && r.leaked)
		lp->leak_failed++;
	else
		lp->failed++;
	if (bad)
		count_kind(lp, what);
	capped = bad && lp->nkept >= lp->max_kept;
	if ((bad && !capped) || lp->opt.keep_log) {
		text = xasprintf("%s\n", s->seedtxt);
		write_text(s->dir, "seed", text);
		free(text);
		text = xasprintf("run %lld\nseed %s\nresult %s\nstatus %d\n"
				 "seconds %.3f\n",
				 s->run, s->seedtxt, bad ? what : "passed",
				 r.status, (double)r.ns / 1e9);
		write_text(s->dir, "result", text);
		free(text);
		write_reproduce(lp, s->dir, s, bad ? what : "passed");
		kept = keep_dir(lp, s);
		if (kept)
			s->ready = 0;
		else
			fprintf(stderr, "flaketrap loop: cannot keep %s: %s\n",
				s->dir, strerror(errno));
		lp->nkept += kept && bad;
	} else if (!capped) {
		clean_slot(lp, s);
	}
	if (bad) {
		struct failure *f;

		lp->fails = realloc(lp->fails, (lp->nfails + 1) *
						       sizeof(*lp->fails));
		if (!lp->fails)
			oom();
		f = &lp->fails[lp->nfails++];
		f->run = s->run;
		f->seed = s->seed;
		snprintf(f->what, sizeof(f->what), "%s", what);
		f->kept = kept ? strdup(kept) : NULL;
		clear_progress(lp);
		fprintf(lp->out, "run %lld (seed %s): %s%s%s%s%s\n", s->run,
			s->seedtxt, what, r.leaked ? ", leaked" : "",
			kept ? "; kept in " : "", kept ? kept : "",
			capped ? "; not kept (--max-kept reached)" : "");
		put_stderr_tail(lp->out, kept ? kept : s->dir);
		if (capped)
			clean_slot(lp, s);
		if (r.timed_out)
			fprintf(lp->out, "  %d of %d processes asked gave their"
					 " stacks (see %s/flaketrap.txt)\n",
				r.stacks_given, r.stacks_asked,
				kept ? kept : s->dir);
		lp->last_progress = 0;
		progress(lp, 1);
		if (lp->until_fail)
			lp->stopping = 1;
	}
	free(kept);
out:
	free(s->log);
	s->log = NULL;
}

/* The slot's directory, with its log directory unless --log. */
static int ready_slot(struct loop *lp, struct slot *s, int index)
{
	char *log;

	if (!s->dir)
		s->dir = xasprintf("%s/.running-%d-%d", lp->outdir,
				   (int)getpid(), index);
	if (s->ready)
		return 0;
	if (mkdir(s->dir, 0700) != 0) {
		fprintf(stderr, "flaketrap loop: cannot make %s: %s\n", s->dir,
			strerror(errno));
		return -1;
	}
	if (!lp->logdir) {
		log = xasprintf("%s/log", s->dir);
		if (mkdir(log, 0700) != 0) {
			fprintf(stderr, "flaketrap loop: cannot make %s: %s\n",
				log, strerror(errno));
			free(log);
			rmdir(s->dir);
			return -1;
		}
		free(log);
	}
	s->ready = 1;
	return 0;
}

static int start_run(struct loop *lp, struct slot *s, int index)
{
	struct ft_sv_spec spec;
	char *out, *err, *rep;
	int ofd, efd;

	if (ready_slot(lp, s, index))
		return -1;
	s->run = ++lp->started;
	s->seed = ft_loop_seed(lp->base, s->run);
	snprintf(s->seedtxt, sizeof(s->seedtxt), "%llu", s->seed);
	if (lp->logdir) {
		s->log = xasprintf("%s/run-%lld", lp->logdir, s->run);
		if (mkdir(s->log, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "flaketrap loop: cannot make %s: %s\n",
				s->log, strerror(errno));
			free(s->log);
			s->log = NULL;
			lp->started--;
			return -1;
		}
		out = xasprintf("%s/log", s->dir);
		unlink(out);
		if (symlink(s->log, out) != 0)
			fprintf(stderr, "flaketrap loop: %s: %s\n", out,
				strerror(errno));
		free(out);
	} else {
		s->log = xasprintf("%s/log", s->dir);
	}
	out = xasprintf("%s/stdout", s->dir);
	err = xasprintf("%s/stderr", s->dir);
	rep = xasprintf("%s/flaketrap.txt", s->dir);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	memset(&spec, 0, sizeof(spec));
	spec.argv = lp->argv;
	spec.out_fd = ofd;
	spec.err_fd = efd;
	spec.log_dir = s->log;
	spec.seed = s->seedtxt;
	spec.timeout_ns = lp->timeout_ns;
	spec.report = rep;
	spec.opt = &lp->opt;
	spec.cfg = &lp->cfg;
	s->sv = ofd < 0 || efd < 0 ? -1 : ft_sv_start(&spec, &s->fd);
	if (s->sv < 0)
		fprintf(stderr, "flaketrap loop: cannot start run %lld: %s\n",
			s->run, strerror(errno));
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	free(out);
	free(err);
	free(rep);
	if (s->sv < 0) {
		s->sv = 0;
		free(s->log);
		s->log = NULL;
		lp->started--;
		return -1;
	}
	return 0;
}

/* --load: a process that only burns CPU, and dies with the loop. */
static pid_t start_burner(pid_t loop)
{
	volatile unsigned long long x = 1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != loop)
		_exit(0);
	prctl(PR_SET_NAME, "flaketrap-load");
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	for (;;)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static void stop_burners(struct loop *lp)
{
	int i;

	for (i = 0; i < lp->load; i++)
		if (lp->burners[i] > 0)
			kill(lp->burners[i], SIGKILL);
	for (i = 0; i < lp->load; i++)
		if (lp->burners[i] > 0)
			while (waitpid(lp->burners[i], NULL, 0) < 0 &&
			       errno == EINTR)
				;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void summary_json(struct loop *lp, double secs, int status)
{
	FILE *f = stdout;
	size_t i;

	fprintf(f, "{\"flaketrap_loop\":1,\"base_seed\":\"%llu\",", lp->base);
	fprintf(f, "\"runs\":%lld,\"passed\":%lld,\"failed\":%lld,"
		   "\"leak_failed\":%lld,\"leaked\":%lld,\"timed_out\":%lld,"
		   "\"stopped\":%lld,\"ignored\":%lld,\"interrupted\":%s,"
		   "\"seconds\":%.3f,\"runs_per_second\":%.3f,",
		lp->runs, lp->passed,
		lp->failed + lp->leak_failed + lp->timed_out, lp->leak_failed,
		lp->leaked,
		lp->timed_out, lp->stopped, lp->ignored,
		got_signal ? "true" : "false",
		secs, secs > 0 ? (double)lp->runs / secs : 0.0);
	fprintf(f, "\"by_result\":{");
	for (i = 0; i < lp->nkinds; i++) {
		fprintf(f, i ? "," : "");
		json_str(f, lp->kinds[i].what);
		fprintf(f, ":%lld", lp->kinds[i].n);
	}
	fprintf(f, "},\"failures\":[");
	for (i = 0; i < lp->nfails; i++) {
		fprintf(f, "%s{\"run\":%lld,\"seed\":\"%llu\",\"result\":",
			i ? "," : "", lp->fails[i].run, lp->fails[i].seed);
		json_str(f, lp->fails[i].what);
		fprintf(f, ",\"dir\":");
		if (lp->fails[i].kept)
			json_str(f, lp->fails[i].kept);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "],\"exit_status\":%d}\n", status);
	fflush(f);
}

/*
 * The Wilson score interval of k failures in n runs, at 95%: honest at
 * 0 of 50 (0% to 7.1%) where k/n alone says "never".
 */
static void wilson(long long k, long long n, double *lo, double *hi)
{
	const double z = 1.959964, z2 = z * z;
	double p = (double)k / (double)n, d = 1 + z2 / (double)n;
	double mid = (p + z2 / (2 * (double)n)) / d;
	double half = z * sqrt(p * (1 - p) / (double)n +
			       z2 / (4 * (double)n * (double)n)) / d;

	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
}

/* What the knobs did, the failure rate, and on a pass, what to try next. */
static void summary_knobs(const struct loop *lp, FILE *f)
{
	long long bad = lp->failed + lp->leak_failed + lp->timed_out;
	double lo, hi;

	if (!lp->runs)
		return;
	fprintf(f, "flaketrap loop: the knobs changed %lld of %lld sleeps,"
		   " injected %lld delays, warped %lld waits, held threads"
		   " %lld times\n",
		lp->sleeps_changed, lp->sleeps_seen, lp->delays,
		lp->waits_warped, lp->chaos_holds);
	wilson(bad, lp->runs, &lo, &hi);
	fprintf(f, "flaketrap loop: failure rate %.1f%% (%lld of %lld;"
		   " 95%% confidence %.1f%% to %.1f%%)\n",
		100.0 * (double)bad / (double)lp->runs, bad, lp->runs,
		100 * lo, 100 * hi);
	if (bad || lp->stopped)
		return;
	if (!lp->sleeps_changed && !lp->delays && !lp->chaos_holds)
		fprintf(f, "flaketrap loop: every run passed and no knob"
			   " acted: try --chaos, --waitpid-delay=100ms,"
			   " --exit-delay=0..200ms, --thread-delay=0..10ms"
			   " or --fork-delay=0..10ms\n");
	else
		fprintf(f, "flaketrap loop: every run passed: try more runs"
			   " in parallel beside load (-j %d --load 2), or"
			   " random sleeps (--sleep=0..50ms)\n",
			2 * lp->jobs);
}

static void summary_text(struct loop *lp, double secs)
{
	FILE *f = lp->out;
	size_t i;

	clear_progress(lp);
	fprintf(f, "flaketrap loop: %lld run%s in %.1fs (%.1f runs/s):"
		   " %lld passed, %lld failed",
		lp->runs, lp->runs == 1 ? "" : "s", secs, secs > 0 ? (double)lp->runs / secs : 0.0,
		lp->passed, lp->failed + lp->leak_failed + lp->timed_out);
	for (i = 0; i < lp->nkinds; i++)
		fprintf(f, "%s%s: %lld", i ? ", " : " (", lp->kinds[i].what,
			lp->kinds[i].n);
	fprintf(f, "%s, %lld leaked, %lld timed out", lp->nkinds ? ")" : "",
		lp->leaked, lp->timed_out);
	if (lp->stopped)
		fprintf(f, ", %lld stopped unfinished", lp->stopped);
	if (lp->ignored)
		fprintf(f, ", %lld failing run%s passed by --failure/--ignore",
			lp->ignored, lp->ignored == 1 ? "" : "s");
	fputc('\n', f);
	summary_knobs(lp, f);
	if (lp->nfails) {
		fprintf(f, "first failure: run %lld, seed %llu: %s",
			lp->fails[0].run, lp->fails[0].seed,
			lp->fails[0].what);
		if (lp->fails[0].kept)
			fprintf(f, "; replay with %s/reproduce.sh",
				lp->fails[0].kept);
		fputc('\n', f);
	}
	fflush(f);
}

static int running(const struct loop *lp, const struct slot *slots)
{
	int i, n = 0;

	for (i = 0; i < lp->jobs; i++)
		n += slots[i].sv > 0;
	return n;
}

static int jobs_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static int parse_count(const char *opt, const char *arg, long long max,
		       long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || *out < 1 || *out > max) {
		fprintf(stderr, "flaketrap loop: %s=%s: expected a whole"
				" number from 1 to %lld\n", opt, arg, max);
		return -1;
	}
	return 0;
}

static int compile_re(const char *opt, const char *arg, regex_t *re,
		      int *has)
{
	char why[256];
	int err;

	if (*has)
		regfree(re);
	*has = 0;
	err = regcomp(re, arg, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
	if (err) {
		regerror(err, re, why, sizeof(why));
		fprintf(stderr, "flaketrap loop: %s=%s: %s\n", opt, arg, why);
		return -1;
	}
	*has = 1;
	return 0;
}

static void free_patterns(struct loop *lp)
{
	if (lp->has_failure)
		regfree(&lp->failure);
	if (lp->has_ignore)
		regfree(&lp->ignore);
}

static int parse_options(struct loop *lp, int argc, char **argv)
{
	static char name[] = "flaketrap loop";
	struct option opts[FT_RUNOPT_ENTRIES + 20];
	long long v;
	size_t n = 0;
	int c, r, dashes = 0, i, stop_rule = 0;

	ft_runopt_table(opts, &n);
	opts[n++] = (struct option){ "runs", required_argument, NULL, 'n' };
	opts[n++] = (struct option){ "jobs", required_argument, NULL, 'j' };
	opts[n++] = (struct option){ "forever", no_argument, NULL,
				     OPT_FOREVER };
	opts[n++] = (struct option){ "until-fail", no_argument, NULL,
				     OPT_UNTIL_FAIL };
	opts[n++] = (struct option){ "keep-going", no_argument, NULL,
				     OPT_KEEP_GOING };
	opts[n++] = (struct option){ "timeout", required_argument, NULL,
				     OPT_TIMEOUT };
	opts[n++] = (struct option){ "load", required_argument, NULL,
				     OPT_LOAD };
	opts[n++] = (struct option){ "out", required_argument, NULL, OPT_OUT };
	opts[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	opts[n++] = (struct option){ "max-kept", required_argument, NULL,
				     OPT_MAX_KEPT };
	opts[n++] = (struct option){ "failure", required_argument, NULL,
				     OPT_FAILURE };
	opts[n++] = (struct option){ "ignore", required_argument, NULL,
				     OPT_IGNORE };
	opts[n++] = (struct option){ "junit", required_argument, NULL,
				     OPT_JUNIT };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	for (i = 1; i < argc; i++)
		dashes |= !strcmp(argv[i], "--");
	argv[0] = name;
	optind = 1;
	while ((c = ft_getopt(argc, argv, "+n:j:hV", opts, name)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("flaketrap %s\n", FT_VERSION);
			exit(0);
		case 'n':
			if (parse_count("-n", optarg, LLONG_MAX, &v))
				return -1;
			lp->max_runs = v;
			continue;
		case OPT_FOREVER:
			lp->max_runs = -1;
			continue;
		case 'j':
			if (parse_count("-j", optarg, 4096, &v))
				return -1;
			lp->jobs = (int)v;
			continue;
		case OPT_UNTIL_FAIL:
		case OPT_KEEP_GOING:
			if (stop_rule && stop_rule != c) {
				fprintf(stderr, "flaketrap loop: --until-fail"
						" and --keep-going contradict"
						" each other\n");
				return -1;
			}
			stop_rule = c;
			lp->until_fail = c == OPT_UNTIL_FAIL;
			continue;
		case OPT_TIMEOUT:
			if (ft_parse_timeout("flaketrap loop", optarg,
					     &lp->timeout_ns))
				return -1;
			continue;
		case OPT_LOAD:
			if (parse_count("--load", optarg, MAX_LOAD, &v))
				return -1;
			lp->load = (int)v;
			continue;
		case OPT_OUT:
			if (!*optarg) {
				fprintf(stderr, "flaketrap loop: --out: an"
						" empty path\n");
				return -1;
			}
			lp->outdir = optarg;
			continue;
		case OPT_JSON:
			lp->json = 1;
			continue;
		case OPT_MAX_KEPT:
			if (parse_count("--max-kept", optarg, LLONG_MAX, &v))
				return -1;
			lp->max_kept = v;
			continue;
		case OPT_JUNIT:
			lp->junit = optarg;
			continue;
		case OPT_FAILURE:
		case OPT_IGNORE:
			if (compile_re(c == OPT_FAILURE ? "--failure" : "--ignore",
				       optarg,
				       c == OPT_FAILURE ? &lp->failure
							: &lp->ignore,
				       c == OPT_FAILURE ? &lp->has_failure
							: &lp->has_ignore))
				return -1;
			continue;
		}
		r = ft_runopt_handle(&lp->opt, c, optarg, name);
		if (r <= 0) {
			if (r == 0)
				fprintf(stderr, "Try 'flaketrap loop"
						" --help'.\n");
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "flaketrap loop: no command given (after"
				" --)\nTry 'flaketrap loop --help'.\n");
		return -1;
	}
	if (!dashes) {
		fprintf(stderr, "flaketrap loop: '--' must come before CMD"
				" (flaketrap loop [OPTION]... -- CMD)\n");
		return -1;
	}
	lp->argv = argv + optind;
	return 0;
}

/* Makes --out (and --log) and checks that a run directory can be made. */
static int prepare_dirs(struct loop *lp)
{
	const char *log = getenv("FLAKETRAP_LOG"), *why;
	char abs[PATH_MAX], *probe;

	/*
	 * No --out: a directory of our own, mode 0700 and a name no one can
	 * guess, never a fixed name that another user could own or plant
	 * first in a shared working directory.
	 */
	if (!lp->outdir) {
		probe = strdup("flaketrap-runs.XXXXXX");
		if (!probe)
			oom();
		if (!mkdtemp(probe)) {
			fprintf(stderr, "flaketrap loop: cannot make a directory"
					" for failing runs in %s: %s\n",
				lp->cwd, strerror(errno));
			free(probe);
			return FT_EXIT_TOOL_ERROR;
		}
		lp->own_outdir = 1;
		lp->outdir = probe;
	} else if (ft_mkdir_p(lp->outdir) != 0) {
		fprintf(stderr, "flaketrap loop: cannot make --out directory"
				" %s: %s\n", lp->outdir, strerror(errno));
		return FT_EXIT_TOOL_ERROR;
	}
	probe = xasprintf("%s/.running-%d-probe", lp->outdir, (int)getpid());
	if (mkdir(probe, 0700) != 0) {
		fprintf(stderr, "flaketrap loop: cannot write in --out"
				" directory %s: %s\n", lp->outdir,
			strerror(errno));
		free(probe);
		return FT_EXIT_TOOL_ERROR;
	}
	rmdir(probe);
	free(probe);
	if (log && *log) {
		if (ft_mkdir_p(log) != 0 || !realpath(log, abs)) {
			fprintf(stderr, "flaketrap loop: cannot make the log"
					" directory %s: %s\n", log,
				strerror(errno));
			return FT_EXIT_TOOL_ERROR;
		}
		/* Records that cannot be written would pass as none. */
		if (ft_dir_writable(abs) != 0) {
			fprintf(stderr, "flaketrap loop: --log=%s: cannot write"
					" there: %s\n", log, strerror(errno));
			return FT_EXIT_TOOL_ERROR;
		}
		if ((why = ft_log_dir_refusal(abs))) {
			fprintf(stderr, "flaketrap loop: --log=%s: %s: %s\n",
				log, why, FT_LOG_DIR_ADVICE);
			return FT_EXIT_TOOL_ERROR;
		}
		/* Two loops' run-1 in one directory would mix in a report. */
		if (holds_runs(abs)) {
			fprintf(stderr, "flaketrap loop: --log=%s already holds"
					" another loop's runs (run-N): give a new"
					" or empty directory\n", log);
			return FT_EXIT_TOOL_ERROR;
		}
		lp->logdir = strdup(abs);
		if (!lp->logdir)
			oom();
	}
	/* The runs' logs go where the runs are, absolute. */
	if (realpath(lp->outdir, abs)) {
		if (lp->own_outdir)
			free((char *)lp->outdir);
		lp->outdir = strdup(abs);
	} else if (!lp->own_outdir) {
		lp->outdir = strdup(lp->outdir);
	}
	if (!lp->outdir)
		oom();
	return 0;
}

int ft_cmd_loop(int argc, char **argv)
{
	struct loop lp;
	struct slot *slots;
	struct pollfd *pfd;
	struct sigaction sa;
	const char *pre;
	double secs;
	int rc, i, status, npfd, tool_error = 0;
	ssize_t n;

	memset(&lp, 0, sizeof(lp));
	ft_runopt_init(&lp.opt);
	lp.max_runs = -1;
	lp.max_kept = MAX_KEPT_DEFAULT;
	lp.jobs = jobs_default();
	if (parse_options(&lp, argc, argv)) {
		free_patterns(&lp);
		ft_runopt_free(&lp.opt);
		return FT_EXIT_TOOL_ERROR;
	}
	pre = getenv("LD_PRELOAD");
	lp.orig_preload = pre ? strdup(pre) : NULL;
	rc = ft_runopt_check_command(&lp.opt, "flaketrap loop", lp.argv[0]);
	if (!rc)
		rc = ft_runopt_environment(&lp.opt, &lp.cfg);
	if (!rc)
		rc = ft_sv_check_command("flaketrap loop", lp.argv[0]);
	if (!rc && (!getcwd(lp.cwd, sizeof(lp.cwd)) ||
		    readlink("/proc/self/exe", lp.self,
			     sizeof(lp.self) - 1) < 0)) {
		fprintf(stderr, "flaketrap loop: %s\n", strerror(errno));
		rc = FT_EXIT_TOOL_ERROR;
	}
	if (!rc)
		rc = prepare_dirs(&lp);
	if (!rc && lp.junit && !(lp.junit_cases = tmpfile())) {
		fprintf(stderr, "flaketrap loop: --junit: %s\n",
			strerror(errno));
		rc = FT_EXIT_TOOL_ERROR;
	}
	if (rc) {
		if (lp.own_outdir) {
			rmdir(lp.outdir);
			free((char *)lp.outdir);
		}
		free(lp.orig_preload);
		free(lp.logdir);
		free_patterns(&lp);
		ft_runopt_free(&lp.opt);
		return rc;
	}
	lp.base = ft_ensure_seed();
	lp.out = lp.json ? stderr : stdout;
	lp.tty = isatty(fileno(lp.out));
	slots = calloc((size_t)lp.jobs, sizeof(*slots));
	pfd = calloc((size_t)lp.jobs + 1, sizeof(*pfd));
	if (!slots || !pfd || pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		oom();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The reader of our output has gone: stop and clean up, as Ctrl-C. */
	sigaction(SIGPIPE, &sa, NULL);
	fprintf(lp.out, "flaketrap loop: base seed %llu (--seed=%llu gives"
			" the same runs again); failing runs go to %s\n",
		lp.base, lp.base, lp.outdir);
	for (i = 0; i < lp.load; i++)
		lp.burners[i] = start_burner(getpid());
	if (lp.load) {
		fprintf(lp.out, "flaketrap loop: load:");
		for (i = 0; i < lp.load; i++)
			fprintf(lp.out, " %d", (int)lp.burners[i]);
		fprintf(lp.out, "\n");
	}
	fflush(lp.out);
	lp.t0 = now_ns();
	for (;;) {
		if (got_signal)
			lp.stopping = 1;
		if (lp.stopping)
			for (i = 0; i < lp.jobs; i++)
				if (slots[i].sv > 0)
					ft_sv_stop(slots[i].sv);
		for (i = 0; i < lp.jobs && !lp.stopping; i++) {
			if (slots[i].sv > 0)
				continue;
			if (lp.max_runs >= 0 && lp.started >= lp.max_runs)
				break;
			if (start_run(&lp, &slots[i], i) != 0) {
				lp.stopping = 1;
				tool_error = 1;
			}
		}
		if (!running(&lp, slots))
			break;
		npfd = 0;
		pfd[npfd].fd = wake[0];
		pfd[npfd++].events = POLLIN;
		for (i = 0; i < lp.jobs; i++)
			if (slots[i].sv > 0) {
				pfd[npfd].fd = slots[i].fd;
				pfd[npfd++].events = POLLIN;
			}
		if (poll(pfd, (nfds_t)npfd, lp.tty ? 250 : 1000) > 0) {
			char buf[64];

			do
				n = read(wake[0], buf, sizeof(buf));
			while (n > 0);
			for (i = 0; i < lp.jobs; i++) {
				int j;

				if (slots[i].sv <= 0)
					continue;
				for (j = 1; j < npfd; j++)
					if (pfd[j].fd == slots[i].fd &&
					    pfd[j].revents)
						finish_run(&lp, &slots[i]);
			}
		}
		progress(&lp, 0);
	}
	stop_burners(&lp);
	for (i = 0; i < lp.jobs; i++) {
		if (slots[i].ready)
			ft_remove_tree(slots[i].dir);
		free(slots[i].dir);
	}
	secs = (double)(now_ns() - lp.t0) / 1e9;
	/* A private directory that keeps nothing is not left behind. */
	if (lp.own_outdir && rmdir(lp.outdir) == 0) {
		free((char *)lp.outdir);
		lp.outdir = NULL;
	}
	if (got_signal)
		status = 128 + got_signal;
	else if (lp.failed || lp.timed_out)
		status = EXIT_FAILED;
	else if (lp.leak_failed)
		status = EXIT_LEAKED;
	else
		status = 0;
	if ((tool_error || lp.unloaded) && !got_signal)
		status = FT_EXIT_TOOL_ERROR;
	summary_text(&lp, secs);
	if (lp.json)
		summary_json(&lp, secs, status);
	if (lp.junit_cases) {
		/* A gate whose file is missing must not pass. */
		if (ft_junit_write(lp.junit, "flaketrap loop", lp.runs,
				   lp.failed + lp.timed_out + lp.leak_failed,
				   secs, lp.junit_cases) != 0) {
			fprintf(stderr, "flaketrap loop: --junit=%s: %s\n",
				lp.junit, strerror(errno));
			if (!got_signal)
				status = FT_EXIT_TOOL_ERROR;
		}
		fclose(lp.junit_cases);
	}
	for (i = 0; (size_t)i < lp.nfails; i++)
		free(lp.fails[i].kept);
	free(lp.fails);
	free(slots);
	free(pfd);
	free(lp.orig_preload);
	free(lp.logdir);
	free((char *)lp.outdir);
	free_patterns(&lp);
	ft_runopt_free(&lp.opt);
	return status;
}
