/* SPDX-License-Identifier: MIT */
/*
 * Runs of CMD for loop and bisect, in a supervisor process: a fork of the
 * tool, for one run (bisect, whose runs differ in argv and environment)
 * or one run after another (a worker: loop's slots), that is the child
 * subreaper of its runs, puts CMD in a process group of its own, ends it
 * on a timeout (after asking the library in its tree for every thread's
 * stack) or when told to stop, ends what it left running, sums up its
 * logs, and reports through a pipe (a worker: its socket).
 */
#ifndef FT_SUPERVISE_H
#define FT_SUPERVISE_H

#include <stdint.h>
#include <sys/types.h>

#include "../preload/config.h"
#include "runopt.h"

struct ft_sv_spec {
	char **argv;
	int out_fd, err_fd;	/* CMD's stdout and stderr; -1: /dev/null */
	const char *log_dir;	/* the run's FLAKETRAP_LOG: absolute, made */
	const char *seed;	/* FLAKETRAP_SEED of the run */
	int64_t timeout_ns;	/* 0: none */
	const char *report;	/* the summary's file; NULL: thrown away */
	const struct ft_runopt *opt;
	const struct ft_config *cfg;
};

struct ft_sv_result {
	int status;		/* as `flaketrap run` would exit */
	int exit_code;		/* CMD's, or -1 when a signal ended it */
	int signal;		/* the signal that ended CMD, or 0 */
	int timed_out;
	int stopped;		/* ended early: ft_sv_stop */
	int exec_errno;		/* CMD could not be run */
	int leaked;		/* leaks or leftovers */
	int crashed;
	int unloaded;		/* CMD ran, but no process wrote a record */
	/* What the knobs did, summed over the run's exit records. */
	long long sleeps_seen, sleeps_changed, delays, waits_warped;
	long long chaos_holds;
	int stacks_asked;	/* processes asked for stacks (timeout) */
	int stacks_given;	/* of them, those that wrote them */
	long long ns;		/* how long CMD ran */
	/* The tests that left something alive at their end, one a line. */
	char leak_tests[512];
};

/*
 * Starts the supervisor of one run (a fork of this process). Returns its
 * pid, and in *fd the end of the pipe its result comes through; -1 when
 * fork fails.
 */
pid_t ft_sv_start(const struct ft_sv_spec *spec, int *fd);

/* Asks a supervisor to end its run now (SIGKILL to CMD's group). */
void ft_sv_stop(pid_t pid);

/*
 * Reads the result from fd (closed here) and reaps pid. Returns 0, or -1
 * when the supervisor died without a result.
 */
int ft_sv_finish(pid_t pid, int fd, struct ft_sv_result *r);

/*
 * A supervisor that stays for run after run (loop's slots, J of them): a
 * run then costs no fork of the tool and no end of one, whose page faults
 * were, on a small VM, a tenth of a run of true. It is a fork of this
 * process made at its first run, so argv, opt and cfg are read in the
 * copy of memory made then: the same for all its runs. Zero it before
 * the first use (pid 0).
 */
struct ft_sv_worker {
	pid_t pid;		/* 0: none (yet, or lost) */
	int sock;		/* runs and stops out, results back */
	unsigned seq;		/* the last run sent */
	struct ft_sv_worker *next;
};

/*
 * Sends a run to w (made now when it has none): its pid, with w->sock to
 * poll for the result; -1 when no worker can take it.
 */
pid_t ft_sv_worker_start(struct ft_sv_worker *w,
			 const struct ft_sv_spec *spec);

/* Ends w's run now, as ft_sv_stop: its result says stopped. */
void ft_sv_worker_stop(struct ft_sv_worker *w);

/* Reads the run's result: 0, or -1 when the worker died without one. */
int ft_sv_worker_finish(struct ft_sv_worker *w, struct ft_sv_result *r);

/* Ends w (it exits at the end of its socket) and reaps it. */
void ft_sv_worker_end(struct ft_sv_worker *w);

/* "exit 1", "SIGSEGV", "timeout", "not run": what r says, in out. */
void ft_sv_describe(const struct ft_sv_result *r, char *out, size_t len);

/*
 * Whether argv[0] can be run: 0, 126 (found, not executable) or 127 (not
 * found), after a message on stderr naming cmd, as a shell would.
 */
int ft_sv_check_command(const char *cmd, const char *name);

#endif
