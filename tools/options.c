/* SPDX-License-Identifier: MIT */
/*
 * Option parsing shared by every command: getopt_long with whole option
 * names. See options.h.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"

int ft_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *opts, const char *cmd)
{
	int at = optind, idx = -1, c;
	const char *typed, *end;
	size_t len;

	c = getopt_long(argc, argv, shortopts, opts, &idx);
	if (c == -1 || c == '?' || idx < 0 || at >= argc ||
	    strncmp(argv[at], "--", 2) != 0)
		return c;
	typed = argv[at] + 2;
	end = strchr(typed, '=');
	len = end ? (size_t)(end - typed) : strlen(typed);
	if (len == strlen(opts[idx].name) &&
	    !strncmp(typed, opts[idx].name, len))
		return c;
	fprintf(stderr, "%s: option '--%.*s' is short for '--%s': write it"
			" whole\n", cmd, (int)len, typed, opts[idx].name);
	return '?';
}
