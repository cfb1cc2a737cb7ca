/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap report`: groups the leak and crash records of any number of
 * logs and prints them as text or JSON, with file:line from libdw. Reading
 * and checking the logs is logs/'s; looking frames up is symbolize.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../commands.h"
#include "../options.h"
#include "../report.h"
#include "ci.h"
#include "../runopt.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap report [--json] [--fail-on-leak] [--junit FILE] [--github]\n"
"                        LOG_OR_DIR...\n"
"Read flaketrap logs (files, or directories searched for *.jsonl files)\n"
"of any number of processes, runs and machines; group identical leaks\n"
"(same event, origin and creation backtrace) and crashes (same signal and\n"
"backtrace), count them, and add function, file and line to each frame\n"
"from the modules' debug information (elfutils libdw). Then list the\n"
"sleep sites of each process that slept (the code that called each sleep\n"
"function, busiest first, with how many of its sleeps were seen and\n"
"changed).\n"
"\n"
"Each directory holding logs counts as one run.\n"
"\n"
"Options:\n"
"  --json         print one JSON document (docs/commands.md)\n"
"  --fail-on-leak exit 3 when a leak or a crash was found (a CI gate);\n"
"                 --fail-env-changed is the same\n"
"  --junit=FILE   also write FILE as JUnit XML (for CI): one failing test\n"
"                 case per distinct leak or crash, with its text, or one\n"
"                 passing case\n"
"  --github       also print one GitHub Actions annotation (::warning, or\n"
"                 ::error with --fail-on-leak or for a crash) per distinct\n"
"                 leak or crash, at the source line of its backtrace (on\n"
"                 stderr with --json)\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n"
"\n"
"A line or file that cannot be read (invalid JSON, a cut or overlong line,\n"
"another schema version) is named on stderr with its file and line, and\n"
"skipped; the rest is reported.\n"
"\n"
"Exit status: 0 when every log was read whole; 1 when anything was\n"
"skipped; with --fail-on-leak, 3 when a leak or a crash was found (before\n"
"1); 125 for a usage error or a --junit FILE that cannot be written.\n");
}

int ft_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fail-on-leak", no_argument, NULL, 'f' },
		{ "fail-env-changed", no_argument, NULL, 'f' },
		{ "junit", required_argument, NULL, 'J' },
		{ "github", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char name[] = "flaketrap report";
	struct ft_symbolizer *s;
	struct ft_report *r;
	struct ft_logs l;
	int c, json = 0, fail_on_leak = 0, i, status;
	const char *junit = NULL;
	int github = 0;

	argv[0] = name;	/* getopt's messages name it */
	optind = 1;
	while ((c = ft_getopt(argc, argv, "+hV", opts, name)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'V') {
			ft_print_version();
			return 0;
		}
		if (c == 'f') {
			fail_on_leak = 1;
			continue;
		}
		if (c == 'J') {
			junit = optarg;
			continue;
		}
		if (c == 'G') {
			github = 1;
			continue;
		}
		if (c != 'j') {
			fprintf(stderr, "Try 'flaketrap report --help'.\n");
			return FT_EXIT_TOOL_ERROR;
		}
		json = 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "flaketrap report: no log given\n"
				"Try 'flaketrap report --help'.\n");
		return FT_EXIT_TOOL_ERROR;
	}
	ft_logs_init(&l, "flaketrap report");
	for (i = optind; i < argc; i++)
		ft_logs_add(&l, argv[i]);
	r = ft_report_build(&l);
	s = ft_sym_new();
	if (json)
		ft_report_json(stdout, r, s);
	else {
		ft_report_text(stdout, r, s);
		ft_report_sites_text(stdout, r, s);
		if (l.exits)
			ft_report_counters(stdout, &l, "flaketrap: ");
	}
	/* Not inside the JSON document. */
	if (github)
		ft_report_github(json ? stderr : stdout, r, s, fail_on_leak);
	status = l.skipped ? 1 : 0;
	if (fail_on_leak && (ft_report_leaks(r) || ft_report_crashes(r) ||
			     ft_report_test_leaks(r)))
		status = FT_EXIT_LEAKED;
	if (fail_on_leak && ft_report_test_leaks(r)) {
		char tests[1024];

		ft_report_leaking_tests(r, ", ", tests, sizeof(tests));
		fprintf(stderr, "flaketrap report: --fail-on-leak: left alive"
				" by %s\n", tests);
	}
	/* A gate whose file is missing must not pass. */
	if (junit && ft_report_junit(junit, r, s) != 0) {
		fprintf(stderr, "flaketrap report: --junit=%s: %s\n", junit,
			strerror(errno));
		status = FT_EXIT_TOOL_ERROR;
	}
	ft_sym_free(s);
	ft_report_free(r);
	ft_logs_free(&l);
	if (fflush(stdout) || ferror(stdout)) {
		perror("flaketrap report: stdout");
		return 1;
	}
	return status;
}

