/* SPDX-License-Identifier: MIT */
/*
 * One run of CMD for loop and bisect, in a supervisor process of its own:
 * a fork of the tool that is the child subreaper of that run alone, puts
 * CMD in a process group of its own, ends it on a timeout (after asking the
 * library in its tree for every thread's stack) or when told to stop, ends
 * what it left running, sums up its logs, and reports through a pipe.
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

/* "exit 1", "SIGSEGV", "timeout", "not run": what r says, in out. */
void ft_sv_describe(const struct ft_sv_result *r, char *out, size_t len);

/*
 * Whether argv[0] can be run: 0, 126 (found, not executable) or 127 (not
 * found), after a message on stderr naming cmd, as a shell would.
 */
int ft_sv_check_command(const char *cmd, const char *name);

#endif
