/* SPDX-License-Identifier: MIT */
/*
 * The flaketrap commands. Each takes the command's own argv (argv[0] is
 * the command name) and returns the exit status.
 */
#ifndef FT_COMMANDS_H
#define FT_COMMANDS_H

/* A flaketrap error in run (bad option or knob), as coreutils timeout. */
#define FT_EXIT_TOOL_ERROR 125

#define FT_WARP_NAME "libflaketrap-warp.so"

struct ft_config;

int ft_cmd_run(int argc, char **argv);
/*
 * Sets LD_PRELOAD for a command run under flaketrap with the knobs of cfg
 * (already validated): libflaketrap.so first, and libflaketrap-warp.so
 * before it when cfg->timers is warp; other entries are kept after ours.
 * Exits 125 with a message when a library cannot be found or used.
 */
void ft_run_preload(const struct ft_config *cfg);
int ft_cmd_report(int argc, char **argv);
int ft_cmd_children(int argc, char **argv);

#endif
