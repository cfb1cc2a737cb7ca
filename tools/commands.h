/* SPDX-License-Identifier: MIT */
/*
 * The flaketrap commands. Each takes the command's own argv (argv[0] is
 * the command name) and returns the exit status.
 */
#ifndef FT_COMMANDS_H
#define FT_COMMANDS_H

/* A flaketrap error in run (bad option or knob), as coreutils timeout. */
#define FT_EXIT_TOOL_ERROR 125
/* A leak (or, for report, a crash) found with --fail-on-leak. */
#define FT_EXIT_LEAKED 3

int ft_cmd_run(int argc, char **argv);
int ft_cmd_report(int argc, char **argv);
int ft_cmd_children(int argc, char **argv);
int ft_cmd_loop(int argc, char **argv);
int ft_cmd_bisect(int argc, char **argv);

#endif
