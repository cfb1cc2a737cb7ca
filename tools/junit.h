/* SPDX-License-Identifier: MIT */
/*
 * JUnit XML, the format CI systems read test results in (GitLab, Jenkins,
 * GitHub actions that publish test reports): report --junit and loop
 * --junit write one.
 */
#ifndef FT_JUNIT_H
#define FT_JUNIT_H

#include <stddef.h>
#include <stdio.h>

/*
 * s as XML character data or attribute text: markup escaped, control
 * characters XML 1.0 cannot hold and bytes that are no UTF-8 written as
 * U+FFFD.
 */
void ft_junit_text(FILE *f, const char *s, size_t len);

/* One test case; failure NULL for a pass, else its message and body. */
void ft_junit_case(FILE *f, const char *classname, const char *name,
		   double seconds, const char *failure, const char *body,
		   size_t body_len);

/*
 * FILE (written whole, then renamed into place): a suite named name with
 * these counts around the test cases written to cases. 0, or -1 with errno
 * set.
 */
int ft_junit_write(const char *path, const char *name, long long tests,
		   long long failures, double seconds, FILE *cases);

#endif
