/* SPDX-License-Identifier: MIT */
/* The report for CI (ci.c). */
#ifndef FT_REPORT_CI_H
#define FT_REPORT_CI_H

#include <stdio.h>

#include "../report.h"

/* report --junit=path: 0, or -1 with errno set. */
int ft_report_junit(const char *path, const struct ft_report *r,
		    struct ft_symbolizer *s);

/* report --github: an annotation per group, on f. */
void ft_report_github(FILE *f, const struct ft_report *r,
		      struct ft_symbolizer *s, int fail_on_leak);

#endif
