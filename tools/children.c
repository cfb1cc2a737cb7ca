/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap children PID`: the live descendants of PID as an indented
 * tree, each with its pid, state and command line (what CPython's
 * support.get_child_processes() looks for, down the whole tree).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "proc.h"
#include "runopt.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap children PID\n"
"List the live descendants of process PID as a tree: one line each, with\n"
"its pid, its state (running, sleeping, disk-sleep, stopped, traced,\n"
"zombie, ...) and its command line ([comm] when it has none, as a zombie),\n"
"indented by two spaces per generation below PID's children. This command\n"
"itself is left out.\n"
"\n"
"Options:\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n"
"\n"
"Exit status: 0; 1 when PID does not exist or /proc cannot be read;\n"
"125 for a usage error.\n");
}

int ft_cmd_children(int argc, char **argv)
{
	struct ft_proc **list, self;
	struct ft_proctab t;
	size_t i, n;
	char *end;
	long pid;

	if (argc == 2 && (!strcmp(argv[1], "-h") ||
			  !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-V") ||
			  !strcmp(argv[1], "--version"))) {
		ft_print_version();
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--"))
		argv++, argc--;
	if (argc != 2) {
		fprintf(stderr, "flaketrap children: %s\n"
				"Try 'flaketrap children --help'.\n",
			argc < 2 ? "no PID given" : "one PID only");
		return FT_EXIT_TOOL_ERROR;
	}
	errno = 0;
	pid = strtol(argv[1], &end, 10);
	if (!isdigit((unsigned char)argv[1][0]) || errno || *end ||
	    pid <= 0 || pid > INT_MAX) {
		fprintf(stderr, "flaketrap children: '%s' is not a process id"
				" (a positive integer)\n"
				"Try 'flaketrap children --help'.\n", argv[1]);
		return FT_EXIT_TOOL_ERROR;
	}
	if (ft_proc_read((pid_t)pid, &self)) {
		fprintf(stderr, "flaketrap children: no process %ld\n", pid);
		return 1;
	}
	if (ft_proc_scan(&t)) {
		fprintf(stderr, "flaketrap children: /proc: %s\n",
			strerror(errno));
		return 1;
	}
	n = ft_proc_descendants(&t, (pid_t)pid, &list);
	for (i = 0; i < n; i++) {
		/* This command is no descendant worth listing. */
		if (list[i]->pid == getpid())
			continue;
		printf("%*s%d %-8s ", 2 * list[i]->depth, "",
		       (int)list[i]->pid, ft_proc_state_name(list[i]->state));
		ft_proc_put_command(stdout, list[i]);
		putchar('\n');
	}
	free(list);
	ft_proctab_free(&t);
	if (fflush(stdout) || ferror(stdout)) {
		perror("flaketrap children: stdout");
		return 1;
	}
	return 0;
}
