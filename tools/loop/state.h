/* SPDX-License-Identifier: MIT */
/*
 * The state of `flaketrap loop`, shared by its files: loop.c schedules the
 * runs, J at a time; result.c counts each run that ends; keep.c makes the
 * directories and keeps a failing run's (with its reproduce.sh); status.c
 * prints the progress line and the summary; options.c reads the command
 * line.
 */
#ifndef FT_LOOP_STATE_H
#define FT_LOOP_STATE_H

#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../../preload/config.h"
#include "../runopt.h"
#include "../supervise.h"

/* --load N at most. */
#define MAX_LOAD 1024
/* Failing runs kept at most, unless --max-kept: a --forever loop of a
 * test that fails often must not fill the disk. */
#define MAX_KEPT_DEFAULT 100

struct slot {
	pid_t sv;		/* its worker's pid during a run; 0: free */
	int fd;			/* where the run's result comes */
	struct ft_sv_worker worker;
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
	/* The tests that left something alive in failing runs: how many
	 * runs each, in the order first seen. */
	struct leak_test {
		char *name;
		long long runs;
	} *leak_tests;
	size_t nleak_tests;
	pid_t burners[MAX_LOAD];
	long long t0, last_progress;
	int stopping;
	int unloaded;		/* a run without the library: 125 */
	long long sleeps_seen, sleeps_changed, delays, waits_warped;
	long long chaos_holds;
};

/* The first signal that asks the loop to stop (SIGINT, ...), or 0. */
extern volatile sig_atomic_t ft_loop_signal;

__attribute__((noreturn)) void ft_loop_oom(void);
__attribute__((format(printf, 1, 2)))
char *ft_loop_asprintf(const char *fmt, ...);
long long ft_loop_now_ns(void);

/* options.c: 0, or -1 after a message (a usage error). */
int ft_loop_options(struct loop *lp, int argc, char **argv);
void ft_loop_free_patterns(struct loop *lp);
int ft_loop_jobs_default(void);

/*
 * keep.c: makes --out (a private one without it) and checks --log: 0, or
 * 125 after a message.
 */
int ft_loop_prepare_dirs(struct loop *lp);
/*
 * Keeps the run of slot s in --out with its seed, result and reproduce.sh;
 * result says how it ended ("passed", "exit 1"). Returns the directory it
 * is kept in (to free), or NULL after a message.
 */
char *ft_loop_keep(struct loop *lp, struct slot *s,
		   const struct ft_sv_result *r, const char *result);
/* A run not kept: its logs go, the rest is overwritten by the next. */
void ft_loop_clean_slot(struct loop *lp, struct slot *s);

/* result.c: counts the run of slot s, which has ended, keeps or cleans it. */
void ft_loop_finish_run(struct loop *lp, struct slot *s);

/* status.c */
void ft_loop_clear_progress(struct loop *lp);
/* The progress line, unless one came a moment ago (or force). */
void ft_loop_progress(struct loop *lp, int force);
void ft_loop_put_stderr_tail(FILE *out, const char *dir);
void ft_loop_summary_text(struct loop *lp, double secs);
void ft_loop_summary_json(struct loop *lp, double secs, int status);

#endif
