/* SPDX-License-Identifier: MIT */
/*
 * flaketrap: the command's entry point. It dispatches to run (run.c),
 * loop (loop/), bisect (bisect/), report (report/) and children
 * (children.c).
 *
 * Exit status of run (as coreutils timeout): the command's own; 128+N when
 * it was killed by signal N; 125 for a flaketrap error; 126 when the
 * command cannot run; 127 when it is not found.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "runopt.h"

static void usage_main(FILE *f)
{
	fprintf(f,
"Usage: flaketrap COMMAND [OPTION]... [--] [CMD [ARG]...]\n"
"Make unstable tests fail on demand.\n"
"\n"
"Commands:\n"
"  run      run CMD with libflaketrap.so preloaded (see flaketrap run --help)\n"
"  loop     run CMD again and again, J at a time, each run with its own seed,\n"
"           and keep each failing run with a reproduce.sh\n"
"           (see flaketrap loop --help)\n"
"  bisect   shrink a list of test cases to a few that still make CMD fail\n"
"           (see flaketrap bisect --help)\n"
"  report   group and count the leaks and crashes of logs, with file:line\n"
"           (see flaketrap report --help)\n"
"  children list the live descendants of a process, with state and command\n"
"           (see flaketrap children --help)\n"
"\n"
"Options:\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return FT_EXIT_TOOL_ERROR;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		ft_print_version();
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return ft_cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "loop"))
		return ft_cmd_loop(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bisect"))
		return ft_cmd_bisect(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return ft_cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "children"))
		return ft_cmd_children(argc - 1, argv + 1);
	fprintf(stderr, "flaketrap: unknown command '%s'\n"
			"Try 'flaketrap --help'.\n", argv[1]);
	return FT_EXIT_TOOL_ERROR;
}
