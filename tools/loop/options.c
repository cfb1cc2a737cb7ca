/* SPDX-License-Identifier: MIT */
/* The command line of `flaketrap loop`: its help and its options. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../commands.h"
#include "state.h"
#include "../runopt.h"

enum { OPT_FOREVER = 0x20000, OPT_UNTIL_FAIL, OPT_KEEP_GOING, OPT_TIMEOUT,
       OPT_LOAD, OPT_OUT, OPT_JSON, OPT_MAX_KEPT, OPT_FAILURE, OPT_IGNORE,
       OPT_JUNIT };

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

int ft_loop_jobs_default(void)
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

void ft_loop_free_patterns(struct loop *lp)
{
	if (lp->has_failure)
		regfree(&lp->failure);
	if (lp->has_ignore)
		regfree(&lp->ignore);
}

int ft_loop_options(struct loop *lp, int argc, char **argv)
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
			ft_print_version();
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

