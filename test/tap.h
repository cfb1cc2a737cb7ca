/* SPDX-License-Identifier: MIT */
/*
 * A C unit-test helper printing TAP: each check prints "ok N - what", and on
 * failure both values with file and line (as libuv's ASSERT_EQ).
 */
#ifndef FT_TAP_H
#define FT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return pass;
}

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);    \
		if (!ok(g_ == w_, __VA_ARGS__))                             \
			printf("#   got %lld, want %lld\n", g_, w_);        \
	} while (0)

#define is_u64(got, want, ...)                                              \
	do {                                                                \
		uint64_t g_ = (got), w_ = (want);                           \
		if (!ok(g_ == w_, __VA_ARGS__))                             \
			printf("#   got %" PRIu64 ", want %" PRIu64 "\n",     \
			       g_, w_);                                     \
	} while (0)

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                       \
		if (!ok(strcmp(g_, w_) == 0, __VA_ARGS__))                  \
			printf("#   got  \"%s\"\n#   want \"%s\"\n", g_, w_); \
	} while (0)

__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
