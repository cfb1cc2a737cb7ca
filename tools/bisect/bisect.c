/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect`: its options and help, and the steps of a bisection;
 * the search is engine.c's, what the items are is a mode's (cases.c,
 * sleeps.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../commands.h"
#include "../files.h"
#include "../supervise.h"
#include "engine.h"
#include "../runopt.h"

enum { OPT_TIMEOUT = 0x20000, OPT_SLEEPS };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap bisect -i CASES [-o OUT] [-n SIZE] [-N MAX_ITER] [-r RUNS]\n"
"                        [--timeout DUR] [-v] [RUN OPTION]... -- CMD... {}\n"
"       flaketrap bisect --sleeps [-o OUT] [-n SIZE] [-N MAX_ITER] [-r RUNS]\n"
"                        [--timeout DUR] [-v] [RUN OPTION]... -- CMD...\n"
"       flaketrap bisect --chaos [-o OUT] [-n SIZE] [-N MAX_ITER] [-r RUNS]\n"
"                        [--timeout DUR] [-v] [RUN OPTION]... -- CMD...\n"
"Shrink the list of test cases in CASES (one a line) to a small subset that\n"
"still makes CMD fail. Each try writes a subset to a temporary file, puts its\n"
"path where CMD has {} (an argument, or part of one) and runs CMD under\n"
"libflaketrap.so as flaketrap run does. A subset that still fails is kept.\n"
"Random halves are tried first, then subsets with a smaller part left out,\n"
"down to one case at a time.\n"
"\n"
"With --sleeps, the cases are CMD's sleep sites: CMD runs once with every\n"
"sleep shrunk and a log, which gives the sites whose sleeps were changed\n"
"(up to RUNS times, until it fails), and once with no sleep changed, which\n"
"must pass; then the search shrinks that list,\n"
"each try shrinking only the sleeps of a subset of the sites\n"
"(FLAKETRAP_SLEEP_ONLY set to their site ids), to the few whose shrinking\n"
"still makes CMD fail: the sleeps used as synchronization. Each is\n"
"printed with its function, file and line.\n"
"\n"
"With --chaos and no -i, the cases are the sites where chaos mode held a\n"
"thread back: CMD runs under --chaos until it fails (up to RUNS times,\n"
"each with a seed of its own), and that seed is kept for every later run:\n"
"once with chaos off, which must pass, then in each try with holds only at\n"
"a subset of the sites (FLAKETRAP_CHAOS_ONLY). The few left are the racing\n"
"sites: each is printed with the call the hold follows or precedes, its\n"
"function, file and line. Timing varies between runs of one seed: give -r\n"
"RUNS (5 is a good start). With -i, --chaos is a knob like any other.\n"
"\n"
"  -i, --input=CASES      the cases, one a line (empty lines are left out)\n"
"  --sleeps               bisect the sleep sites of CMD instead (no -i, no {})\n"
"  -o, --output=OUT       write the subset to OUT, each time it shrinks\n"
"  -n, --max-tests=SIZE   stop at SIZE cases or fewer (default: 1)\n"
"  -N, --max-iter=MAX_ITER  stop after trying MAX_ITER subsets (default: 100)\n"
"  -r, --runs=RUNS        try each subset up to RUNS times: a flaky failure\n"
"                         counts (default: 1)\n"
"  --timeout=DUR          a run still going after DUR fails, as in\n"
"                         flaketrap loop\n"
"  -v, --verbose          CMD's output and flaketrap's summary of each run\n"
"                         on stderr (default: thrown away)\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Every option of flaketrap run is taken too, and applies to each run\n"
"(flaketrap run --help says what each does and takes):\n");
	ft_runopt_usage_names(f);
	fprintf(f,
"\n"
"A run fails when CMD exits non-zero, is killed by a signal or times out;\n"
"with --fail-on-leak, also when it leaks. --seed (or FLAKETRAP_SEED) is the\n"
"base seed, random when not given and printed: it draws the subsets and\n"
"each run's seed, so the same base seed bisects the same way again.\n"
"The whole list is run first: when it does not fail, there is nothing to\n"
"bisect. Then, when no subset with one part left out fails any more, the\n"
"subset is the smallest this search finds, and the search stops.\n"
"The subset is printed on stdout, one case a line; progress goes to stderr.\n"
"\n"
"Exit status: 0 when a failing subset was found (the whole list counts);\n"
"1 when the whole list did not fail (with --sleeps: CMD passed with every\n"
"sleep shrunk, changed no sleep, failed with none changed, or passed with\n"
"the sleeps of every site found shrunk); 130 after Ctrl-C (OUT holds the\n"
"best subset so far); 125 for a flaketrap error (bad option, empty CASES,\n"
"no {} in CMD, unwritable OUT, --sleeps with -i or --sleep-only); 126 when\n"
"CMD cannot run; 127 when CMD is not found.\n");
}

static int parse_num(const char *opt, const char *arg, long long min,
		     long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || *out < min) {
		fprintf(stderr, "flaketrap bisect: %s %s: expected a whole"
				" number, at least %lld\n", opt, arg, min);
		return -1;
	}
	return 0;
}

/* Whether FLAKETRAP_CHAOS is on (--chaos sets it). */
static int chaos_on(void)
{
	const char *v = getenv(FT_ENV_PREFIX "CHAOS"), *why;
	int on = 0;

	return v && ft_parse_switch(v, &on, &why) == 0 && on;
}

static int parse_options(struct ft_bisect *b, int argc, char **argv)
{
	static char name[] = "flaketrap bisect";
	struct option opts[FT_RUNOPT_ENTRIES + 16];
	size_t n = 0;
	int c, r, i, dashes = 0;

	ft_runopt_table(opts, &n);
	opts[n++] = (struct option){ "input", required_argument, NULL, 'i' };
	opts[n++] = (struct option){ "output", required_argument, NULL, 'o' };
	opts[n++] = (struct option){ "max-tests", required_argument, NULL,
				     'n' };
	opts[n++] = (struct option){ "max-iter", required_argument, NULL,
				     'N' };
	opts[n++] = (struct option){ "runs", required_argument, NULL, 'r' };
	opts[n++] = (struct option){ "timeout", required_argument, NULL,
				     OPT_TIMEOUT };
	opts[n++] = (struct option){ "sleeps", no_argument, NULL, OPT_SLEEPS };
	opts[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	for (i = 1; i < argc; i++)
		dashes |= !strcmp(argv[i], "--");
	argv[0] = name;
	optind = 1;
	while ((c = ft_getopt(argc, argv, "+i:o:n:N:r:vhV", opts, name)) !=
	       -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			ft_print_version();
			exit(0);
		case 'i':
			b->input = optarg;
			continue;
		case 'o':
			b->output = optarg;
			continue;
		case 'n':
			if (parse_num("-n", optarg, 1, &b->size))
				return -1;
			continue;
		case 'N':
			if (parse_num("-N", optarg, 1, &b->max_iter))
				return -1;
			continue;
		case 'r':
			if (parse_num("-r", optarg, 1, &b->runs))
				return -1;
			continue;
		case 'v':
			b->verbose = 1;
			continue;
		case OPT_TIMEOUT:
			if (ft_parse_timeout("flaketrap bisect", optarg,
					     &b->timeout_ns))
				return -1;
			continue;
		case OPT_SLEEPS:
			b->mode = &ft_bisect_sleeps;
			continue;
		}
		r = ft_runopt_handle(&b->opt, c, optarg, name);
		if (r <= 0) {
			if (r == 0)
				fprintf(stderr, "Try 'flaketrap bisect"
						" --help'.\n");
			return -1;
		}
	}
	/* --chaos (or FLAKETRAP_CHAOS=on) without cases: its sites are. */
	if (b->mode == &ft_bisect_cases && !*b->input && chaos_on())
		b->mode = &ft_bisect_chaos;
	if (b->mode->check(b))
		return -1;
	if (optind >= argc || !dashes) {
		fprintf(stderr, "flaketrap bisect: %s\nTry 'flaketrap bisect"
				" --help'.\n",
			optind >= argc ? "no command given (after --)"
				       : "'--' must come before CMD");
		return -1;
	}
	b->argv = argv + optind;
	return 0;
}

/* Whether OUT can be written: a file beside it can be made. */
static int output_writable(const char *out)
{
	char *probe;
	FILE *f;

	if (asprintf(&probe, "%s.tmp%d", out, (int)getpid()) < 0)
		ft_bisect_oom();
	f = fopen(probe, "we");
	if (!f) {
		fprintf(stderr, "flaketrap bisect: cannot write %s: %s\n", out,
			strerror(errno));
		free(probe);
		return 0;
	}
	fclose(f);
	unlink(probe);
	free(probe);
	return 1;
}

static void on_signal(int sig)
{
	if (!ft_bisect_signal)
		ft_bisect_signal = sig;
	ft_bisect_stop_current();
}

/* CMD checked and its environment made; OUT writable. 0, or 125. */
static int ready(struct ft_bisect *b)
{
	const char *tmpdir = getenv("TMPDIR");
	const char *log = getenv("FLAKETRAP_LOG");
	struct stat st;
	int rc;

	/*
	 * Each run logs in a directory of bisect's own, but a --log naming a
	 * file is a mistake said before anything runs, as run and loop do.
	 */
	if (log && *log && stat(log, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "flaketrap bisect: --log=%s: %s\n", log,
			strerror(ENOTDIR));
		return FT_EXIT_TOOL_ERROR;
	}
	snprintf(b->tmp, sizeof(b->tmp), "%s/flaketrap-bisect.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(b->tmp)) {
		fprintf(stderr, "flaketrap bisect: cannot make %s: %s\n",
			b->tmp, strerror(errno));
		exit(FT_EXIT_TOOL_ERROR);
	}
	if (b->mode->setup && b->mode->setup(b))
		return FT_EXIT_TOOL_ERROR;
	if (ft_runopt_check_command(&b->opt, "flaketrap bisect", b->argv[0]) ||
	    ft_runopt_environment(&b->opt, &b->cfg))
		return FT_EXIT_TOOL_ERROR;
	rc = ft_sv_check_command("flaketrap bisect", b->argv[0]);
	if (rc)
		return rc;
	if (b->output && !output_writable(b->output))
		return FT_EXIT_TOOL_ERROR;
	return 0;
}

int ft_cmd_bisect(int argc, char **argv)
{
	struct ft_bisect b;
	struct sigaction sa;
	size_t i;
	int rc;

	memset(&b, 0, sizeof(b));
	ft_runopt_init(&b.opt);
	b.mode = &ft_bisect_cases;
	b.input = "";
	b.size = 1;
	b.max_iter = 100;
	b.runs = 1;
	if (parse_options(&b, argc, argv)) {
		ft_runopt_free(&b.opt);
		return FT_EXIT_TOOL_ERROR;
	}
	rc = ready(&b);
	if (!rc) {
		b.base = ft_ensure_seed();
		if (b.mode->collect)
			fprintf(stderr, "flaketrap bisect: %s, base seed %llu"
					" (--seed=%llu bisects the same way"
					" again)\n", b.mode->noun, b.base,
				b.base);
		else
			fprintf(stderr, "flaketrap bisect: %zu %s, base seed"
					" %llu (--seed=%llu bisects the same"
					" way again)\n", b.nitems,
				b.mode->noun, b.base, b.base);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		rc = b.mode->collect ? b.mode->collect(&b) : 0;
		if (!rc)
			rc = ft_bisect_search(&b);
	}
	if (b.tmp[0])
		ft_remove_tree(b.tmp);
	b.mode->free(&b);
	for (i = 0; i < b.nitems; i++)
		free(b.items[i]);
	free(b.items);
	ft_runopt_free(&b.opt);
	return rc;
}
