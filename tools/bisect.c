/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect`: shrinks a list of test cases to a small subset that
 * still makes CMD fail, as CPython's test.bisect_cmd does, with CMD under
 * the library as flaketrap run would run it. Random halves first, then
 * smaller parts taken out (delta debugging's complements, at finer and
 * finer grain down to single cases), each subset tried up to RUNS times so
 * a flaky failure counts. The best subset so far is always in OUT.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "logs.h"
#include "loop.h"
#include "report.h"
#include "runopt.h"
#include "supervise.h"

enum { OPT_TIMEOUT = 0x20000, OPT_SLEEPS };

#define SLEEP_ONLY FT_ENV_PREFIX "SLEEP_ONLY"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap bisect -i CASES [-o OUT] [-n SIZE] [-N MAX_ITER] [-r RUNS]\n"
"                        [--timeout DUR] [-v] [RUN OPTION]... -- CMD... {}\n"
"       flaketrap bisect --sleeps [-o OUT] [-n SIZE] [-N MAX_ITER] [-r RUNS]\n"
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
"Every option of flaketrap run is taken too, and applies to each run:\n");
	ft_runopt_usage(f);
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

struct bisect {
	char **cases;
	size_t ncases;
	const char *output;
	long long size, max_iter, runs;
	int64_t timeout_ns;
	int verbose;
	struct ft_runopt opt;
	struct ft_config cfg;
	char **argv;		/* with {} replaced */
	char tmp[PATH_MAX];
	char list[PATH_MAX + 16];
	unsigned long long base;
	long long nrun, ndraw;
	int sleeps;		/* --sleeps: the cases are site ids */
	const char *noun;	/* "cases" or "sleep sites" */
	struct ft_logs logs;	/* --sleeps: the logs of the first run */
	const struct ft_json **sites;	/* --sleeps: each case's site */
};

static volatile sig_atomic_t got_signal;
static volatile pid_t current;

static void on_signal(int sig)
{
	if (!got_signal)
		got_signal = sig;
	if (current > 0)
		ft_sv_stop(current);
}

static void oom(void)
{
	perror("flaketrap bisect");
	exit(FT_EXIT_TOOL_ERROR);
}

static int read_cases(struct bisect *b, const char *path)
{
	char *line = NULL;
	size_t cap = 0, cases_cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (b->ncases == cases_cap) {
			cases_cap = cases_cap ? 2 * cases_cap : 64;
			b->cases = realloc(b->cases,
					   cases_cap * sizeof(*b->cases));
			if (!b->cases)
				oom();
		}
		b->cases[b->ncases] = strdup(line);
		if (!b->cases[b->ncases++])
			oom();
	}
	free(line);
	fclose(f);
	if (b->ncases == 0) {
		fprintf(stderr, "flaketrap bisect: %s: no case in it (one a"
				" line)\n", path);
		return -1;
	}
	return 0;
}

static int write_list(const char *path, char **all, const size_t *cases,
		      size_t n)
{
	char *tmp;
	size_t i;
	FILE *f;
	int ok;

	if (asprintf(&tmp, "%s.tmp%d", path, (int)getpid()) < 0)
		oom();
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", tmp,
			strerror(errno));
		free(tmp);
		return -1;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", all[cases[i]]);
	ok = fclose(f) == 0 && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/*
 * Up to RUNS runs of CMD: 1 at the first that fails, else 0. With keep,
 * the failing run's log directory is left in place, its path in *keep.
 */
static int try_runs(struct bisect *b, char **keep)
{
	struct ft_sv_result r;
	struct ft_sv_spec spec;
	char seed[24], *log, what[64];
	long long i;
	int fd;

	for (i = 0; i < b->runs && !got_signal; i++) {
		b->nrun++;
		snprintf(seed, sizeof(seed), "%llu",
			 ft_loop_seed(b->base, b->nrun));
		if (asprintf(&log, "%s/log-%lld", b->tmp, b->nrun) < 0)
			oom();
		if (ft_mkdir_p(log) != 0) {
			fprintf(stderr, "flaketrap bisect: %s: %s\n", log,
				strerror(errno));
			exit(FT_EXIT_TOOL_ERROR);
		}
		memset(&spec, 0, sizeof(spec));
		spec.argv = b->argv;
		spec.out_fd = b->verbose ? 2 : -1;
		spec.err_fd = b->verbose ? 2 : -1;
		spec.log_dir = log;
		spec.seed = seed;
		spec.timeout_ns = b->timeout_ns;
		spec.report = b->verbose ? "/dev/stderr" : NULL;
		spec.opt = &b->opt;
		spec.cfg = &b->cfg;
		current = ft_sv_start(&spec, &fd);
		if (current < 0) {
			perror("flaketrap bisect: fork");
			exit(FT_EXIT_TOOL_ERROR);
		}
		if (got_signal)
			ft_sv_stop(current);
		if (ft_sv_finish(current, fd, &r) != 0) {
			memset(&r, 0, sizeof(r));
			r.status = FT_EXIT_TOOL_ERROR;
		}
		current = 0;
		if (!r.stopped && (r.status != 0 || r.timed_out) && keep) {
			*keep = log;
		} else {
			ft_remove_tree(log);
			free(log);
		}
		if (r.stopped)
			break;
		if (r.status != 0 || r.timed_out) {
			ft_sv_describe(&r, what, sizeof(what));
			fprintf(stderr, "failed (%s, seed %s)\n", what, seed);
			return 1;
		}
	}
	if (!got_signal)
		fprintf(stderr, "passed%s\n", b->runs > 1 ? " every run" : "");
	return 0;
}

/*
 * Makes the next runs try these cases: the file of cases, or with
 * --sleeps FLAKETRAP_SLEEP_ONLY set to their site ids.
 */
static void select_cases(struct bisect *b, const size_t *cases, size_t n)
{
	static struct ft_patterns check;
	const char *why;
	char *only = NULL;
	size_t i, len;
	FILE *f;

	if (!b->sleeps) {
		if (write_list(b->list, b->cases, cases, n))
			exit(FT_EXIT_TOOL_ERROR);
		return;
	}
	f = open_memstream(&only, &len);
	if (!f)
		oom();
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", b->cases[cases[i]]);
	if (fclose(f))
		oom();
	/* The library would stop CMD with 125: a failure, for us. */
	if (ft_patterns_parse(only, &check, &why)) {
		fprintf(stderr, "\nflaketrap bisect: %zu sleep sites do not fit"
				" in " SLEEP_ONLY ": %s\n", n, why);
		exit(FT_EXIT_TOOL_ERROR);
	}
	setenv(SLEEP_ONLY, only, 1);
	free(only);
}

/* Whether CMD fails with these cases, in up to RUNS runs. */
static int fails(struct bisect *b, const size_t *cases, size_t n)
{
	select_cases(b, cases, n);
	return try_runs(b, NULL);
}

/* A uniform draw in [0, n) from the base seed. */
static size_t draw(struct bisect *b, size_t n)
{
	return (size_t)(ft_loop_seed(b->base ^ 0xb15ec7ULL, ++b->ndraw) % n);
}

static void shuffle(struct bisect *b, size_t *v, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = draw(b, i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The cases back in the order the list had them. */
static void restore_order(size_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_index);
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

static int parse_options(struct bisect *b, int argc, char **argv,
			 const char **input)
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
	while ((c = getopt_long(argc, argv, "+i:o:n:N:r:vhV", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("flaketrap %s\n", FT_VERSION);
			exit(0);
		case 'i':
			*input = optarg;
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
			b->sleeps = 1;
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
	if (b->sleeps && **input) {
		fprintf(stderr, "flaketrap bisect: --sleeps takes no -i: its"
				" cases are the sleep sites of CMD\n");
		return -1;
	}
	if (b->sleeps && getenv(SLEEP_ONLY)) {
		fprintf(stderr, "flaketrap bisect: --sleeps sets "
				SLEEP_ONLY " itself: leave it unset (use"
				" --sleep-skip to leave sleeps out)\n");
		return -1;
	}
	if (!b->sleeps && !**input) {
		fprintf(stderr, "flaketrap bisect: no case file given (-i"
				" CASES)\nTry 'flaketrap bisect --help'.\n");
		return -1;
	}
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

/* CMD with each {} replaced by the path of the case file. */
static int substitute(struct bisect *b)
{
	size_t i, n;
	int found = 0;
	char **out;

	for (n = 0; b->argv[n]; n++)
		;
	out = calloc(n + 1, sizeof(*out));
	if (!out)
		oom();
	for (i = 0; i < n; i++) {
		const char *s = b->argv[i], *p;
		char *buf = NULL;
		size_t len;
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			oom();
		while ((p = strstr(s, "{}"))) {
			fwrite(s, 1, (size_t)(p - s), f);
			fputs(b->list, f);
			s = p + 2;
			found = 1;
		}
		fputs(s, f);
		if (fclose(f))
			oom();
		out[i] = buf;
	}
	b->argv = out;
	if (!found) {
		fprintf(stderr, "flaketrap bisect: no {} in CMD: the cases"
				" would not reach it (put {} where CMD takes"
				" the file of cases)\n");
		return -1;
	}
	return 0;
}

/* Whether OUT can be written: a file beside it can be made. */
static int output_writable(const char *out)
{
	char *probe;
	FILE *f;

	if (asprintf(&probe, "%s.tmp%d", out, (int)getpid()) < 0)
		oom();
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

static void print_sites(struct bisect *b, const size_t *cur, size_t n)
{
	struct ft_symbolizer *sym = ft_sym_new();
	size_t i;

	for (i = 0; i < n; i++) {
		ft_report_site(stdout, b->sites[cur[i]], sym);
		printf(": this sleep is used as synchronization\n");
	}
	ft_sym_free(sym);
}

/*
 * --sleeps: a failure that comes without any sleep shrunk is not a
 * sleep's: one run with FLAKETRAP_SLEEP=off must pass. 0, or the exit
 * status.
 */
static int control_run(struct bisect *b)
{
	const char *user = getenv(FT_ENV_PREFIX "SLEEP");
	char *saved = user ? strdup(user) : NULL;
	long long runs = b->runs;
	int failed;

	if (user && !saved)
		oom();
	setenv(FT_ENV_PREFIX "SLEEP", "off", 1);
	b->runs = 1;
	fprintf(stderr, "flaketrap bisect: no sleep changed: ");
	failed = try_runs(b, NULL);
	b->runs = runs;
	if (saved)
		setenv(FT_ENV_PREFIX "SLEEP", saved, 1);
	else
		unsetenv(FT_ENV_PREFIX "SLEEP");
	free(saved);
	if (got_signal)
		return 128 + got_signal;
	if (failed) {
		fprintf(stderr, "flaketrap bisect: CMD fails even with no"
				" sleep changed (FLAKETRAP_SLEEP=off): its"
				" failure is not a sleep's\n");
		return 1;
	}
	return 0;
}

/*
 * --sleeps: runs CMD with every sleep shrunk until it fails (up to RUNS
 * times) and takes the sites whose sleeps were changed, in any of its
 * processes, as the cases. 0, or the exit status.
 */
static int collect_sites(struct bisect *b)
{
	const struct ft_json *site;
	char *log = NULL;
	size_t i, j, cap = 0, skipped = 0;
	long long changed;

	unsetenv(SLEEP_ONLY);
	fprintf(stderr, "flaketrap bisect: every sleep shrunk: ");
	if (!try_runs(b, &log)) {
		if (got_signal)
			return 128 + got_signal;
		fprintf(stderr, "flaketrap bisect: CMD passes even with every"
				" sleep shrunk: no sleep to blame\n");
		return 1;
	}
	b->logs.empty_ok = 1;
	ft_logs_add(&b->logs, log);
	ft_remove_tree(log);
	free(log);
	for (i = 0; i < b->logs.nrecs; i++) {
		if (strcmp(b->logs.recs[i].event, "sleep_sites"))
			continue;
		site = ft_json_get(b->logs.recs[i].json, "sites")->first;
		for (; site; site = site->next) {
			const char *id = ft_json_str(ft_json_get(site, "id"));

			if (ft_json_int(ft_json_get(site, "changed"),
					&changed) || changed <= 0)
				continue;
			/* A comma would split the id in SLEEP_ONLY. */
			if (strchr(id, ',')) {
				skipped++;
				continue;
			}
			for (j = 0; j < b->ncases; j++)
				if (!strcmp(b->cases[j], id))
					break;
			if (j < b->ncases)
				continue;
			if (b->ncases == cap) {
				cap = cap ? 2 * cap : 64;
				b->cases = realloc(b->cases,
						   cap * sizeof(*b->cases));
				b->sites = realloc(b->sites,
						   cap * sizeof(*b->sites));
				if (!b->cases || !b->sites)
					oom();
			}
			b->sites[b->ncases] = site;
			b->cases[b->ncases] = strdup(id);
			if (!b->cases[b->ncases++])
				oom();
		}
	}
	if (skipped)
		fprintf(stderr, "flaketrap bisect: %zu sleep sites left out: a"
				" comma in their module's name\n", skipped);
	if (b->ncases == 0) {
		fprintf(stderr, "flaketrap bisect: CMD fails, but changed no"
				" sleep at any site: its failure is not a"
				" sleep's\n");
		return 1;
	}
	fprintf(stderr, "flaketrap bisect: %zu sleep %s whose sleeps were"
			" changed\n", b->ncases,
		b->ncases == 1 ? "site" : "sites");
	return control_run(b);
}

static int bisect(struct bisect *b)
{
	size_t *cur, *cand, ncur, k = 2, i, j, c, lo, hi, ncand;
	long long iter = 0;
	int reduced;

	cur = malloc(b->ncases * sizeof(*cur));
	cand = malloc(b->ncases * sizeof(*cand));
	if (!cur || !cand)
		oom();
	for (i = 0; i < b->ncases; i++)
		cur[i] = i;
	ncur = b->ncases;
	fprintf(stderr, "flaketrap bisect: all %zu %s: ", ncur, b->noun);
	if (!fails(b, cur, ncur)) {
		if (!got_signal && b->sleeps)
			fprintf(stderr, "flaketrap bisect: CMD passes with"
					" the sleeps of all %zu sites shrunk:"
					" its failure needs a sleep counted at"
					" no site (\"other\"), or is flaky (try"
					" -r RUNS)\n", ncur);
		else if (!got_signal)
			fprintf(stderr, "flaketrap bisect: the whole list does"
					" not fail: nothing to bisect\n");
		free(cur);
		free(cand);
		return got_signal ? 128 + got_signal : 1;
	}
	if (b->output && write_list(b->output, b->cases, cur, ncur))
		exit(FT_EXIT_TOOL_ERROR);
	while ((long long)ncur > b->size && iter < b->max_iter && !got_signal) {
		if (k > ncur)
			k = ncur;
		shuffle(b, cur, ncur);
		reduced = 0;
		for (c = 0; c < k && iter < b->max_iter && !got_signal; c++) {
			/*
			 * Chunk c of k, [lo, hi) of the shuffled cases: with
			 * k = 2 a random half is tried, beyond that the rest
			 * without the chunk.
			 */
			lo = ncur * c / k;
			hi = ncur * (c + 1) / k;
			ncand = 0;
			for (j = 0; j < ncur; j++)
				if ((k == 2) == (j >= lo && j < hi))
					cand[ncand++] = cur[j];
			if (ncand == 0 || ncand == ncur)
				continue;
			restore_order(cand, ncand);
			iter++;
			fprintf(stderr, "flaketrap bisect: iteration %lld:"
					" %zu of %zu %s: ", iter, ncand,
				ncur, b->noun);
			if (fails(b, cand, ncand)) {
				memcpy(cur, cand, ncand * sizeof(*cur));
				ncur = ncand;
				reduced = 1;
				if (b->output &&
				    write_list(b->output, b->cases, cur, ncur))
					exit(FT_EXIT_TOOL_ERROR);
				break;
			}
		}
		if (got_signal)
			break;
		if (reduced) {
			k = k > 2 ? k - 1 : 2;
			continue;
		}
		if (k >= ncur)
			break;	/* no case can go: as small as it gets */
		k = 2 * k < ncur ? 2 * k : ncur;
	}
	restore_order(cur, ncur);
	fprintf(stderr, "flaketrap bisect: %zu of %zu %s still fail, after"
			" %lld iterations (%lld runs)%s%s%s\n",
		ncur, b->ncases, b->noun, iter, b->nrun,
		got_signal ? ", interrupted" : "",
		b->output ? "; written to " : "", b->output ? b->output : "");
	if (b->sleeps)
		print_sites(b, cur, ncur);
	else
		for (i = 0; i < ncur; i++)
			printf("%s\n", b->cases[cur[i]]);
	fflush(stdout);
	free(cur);
	free(cand);
	return got_signal ? 128 + got_signal : 0;
}

int ft_cmd_bisect(int argc, char **argv)
{
	struct bisect b;
	struct sigaction sa;
	const char *input = "", *tmpdir = getenv("TMPDIR");
	size_t i;
	int rc;

	memset(&b, 0, sizeof(b));
	ft_runopt_init(&b.opt);
	b.size = 1;
	b.max_iter = 100;
	b.runs = 1;
	ft_logs_init(&b.logs, "flaketrap bisect");
	if (parse_options(&b, argc, argv, &input) ||
	    (!b.sleeps && read_cases(&b, input))) {
		for (i = 0; i < b.ncases; i++)
			free(b.cases[i]);
		free(b.cases);
		ft_runopt_free(&b.opt);
		return FT_EXIT_TOOL_ERROR;
	}
	snprintf(b.tmp, sizeof(b.tmp), "%s/flaketrap-bisect.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(b.tmp)) {
		fprintf(stderr, "flaketrap bisect: cannot make %s: %s\n",
			b.tmp, strerror(errno));
		exit(FT_EXIT_TOOL_ERROR);
	}
	snprintf(b.list, sizeof(b.list), "%s/cases", b.tmp);
	b.noun = b.sleeps ? "sleep sites" : "cases";
	rc = !b.sleeps && substitute(&b) ? FT_EXIT_TOOL_ERROR : 0;
	if (!rc)
		rc = ft_runopt_environment(&b.opt, &b.cfg);
	if (!rc)
		rc = ft_sv_check_command("flaketrap bisect", b.argv[0]);
	if (!rc && b.output && !output_writable(b.output))
		rc = FT_EXIT_TOOL_ERROR;
	if (!rc) {
		b.base = ft_ensure_seed();
		if (b.sleeps)
			fprintf(stderr, "flaketrap bisect: sleep sites, base"
					" seed %llu (--seed=%llu bisects the"
					" same way again)\n", b.base, b.base);
		else
			fprintf(stderr, "flaketrap bisect: %zu cases, base"
					" seed %llu (--seed=%llu bisects the"
					" same way again)\n",
				b.ncases, b.base, b.base);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		rc = b.sleeps ? collect_sites(&b) : 0;
		if (!rc)
			rc = bisect(&b);
	}
	ft_remove_tree(b.tmp);
	for (i = 0; i < b.ncases; i++)
		free(b.cases[i]);
	free(b.cases);
	free(b.sites);
	if (!b.sleeps) {
		for (i = 0; b.argv[i]; i++)
			free(b.argv[i]);
		free(b.argv);
	}
	ft_logs_free(&b.logs);
	ft_runopt_free(&b.opt);
	return rc;
}
