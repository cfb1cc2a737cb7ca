/* SPDX-License-Identifier: MIT */
/* Option parsing shared by every command of the tool. */
#ifndef FT_OPTIONS_H
#define FT_OPTIONS_H

#include <getopt.h>

/*
 * getopt_long, except that a long option must be written whole: an
 * abbreviation (--sleep-mi for --sleep-min) is one of the typos a knob
 * option must not let through. Returns '?' after a message naming cmd.
 */
int ft_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *opts, const char *cmd);

#endif
