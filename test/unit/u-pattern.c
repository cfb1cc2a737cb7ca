/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the sleep patterns (preload/pattern.c): the glob matcher,
 * parsing good and bad lists, and matching against frames.
 */
#include <stdlib.h>

#include "config.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *pat, *s;
	int hit;
} globs[] = {
	{ "test_*", "test_pool", 1 },
	{ "test_*", "test_", 1 },
	{ "test_*", "atest_pool", 0 },
	{ "*_pool", "test_pool", 1 },
	{ "*", "", 1 },
	{ "", "", 1 },
	{ "", "x", 0 },
	{ "a*b*c", "axxbyyc", 1 },
	{ "a*b*c", "axxbyy", 0 },
	{ "a*b*c", "abcbc", 1 },
	{ "?", "x", 1 },
	{ "?", "", 0 },
	{ "??", "x", 0 },
	{ "libuv.so*", "libuv.so.1", 1 },
	{ "libuv.so*", "libuv.so", 1 },
	{ "libuv.so*", "libuvw.so", 0 },
	{ "[abc]x", "bx", 1 },
	{ "[abc]x", "dx", 0 },
	{ "[a-c]x", "cx", 1 },
	{ "[!a-c]x", "cx", 0 },
	{ "[^a-c]x", "dx", 1 },
	{ "[]]", "]", 1 },
	{ "[!]]", "]", 0 },
	{ "[a-]", "-", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "x", 0 },
	{ "a\\?", "a?", 1 },
	{ "a\\?", "ab", 0 },
	{ "*/libfoo.so", "/usr/lib/libfoo.so", 1 },
	{ "libstdc++.so*", "libstdc++.so.6", 1 },
	{ "CASE", "case", 0 },
};

static void test_globs(void)
{
	size_t i;

	for (i = 0; i < N(globs); i++)
		is_int(ft_glob_match(globs[i].pat, strlen(globs[i].pat),
				     globs[i].s),
		       globs[i].hit, "glob '%s' against '%s'", globs[i].pat,
		       globs[i].s);
}

static const struct {
	const char *in;
	int ok;
	unsigned n, globs;
} lists[] = {
	{ "test_*", 1, 1, 1 },
	{ "test_*,libuv.so*", 1, 2, 2 },
	{ "sleep-sites+0x134e", 1, 1, 0 },
	{ "/usr/lib/*/libuv.so.1+0xABCdef0123456789", 1, 1, 0 },
	{ "a,b+0x1,c", 1, 3, 2 },
	{ "libstdc++.so.6", 1, 1, 1 },
	{ "[]],x\\,", 0, 0, 0 },	/* a quoted comma still splits */
	{ "", 0, 0, 0 },
	{ ",a", 0, 0, 0 },
	{ "a,", 0, 0, 0 },
	{ "a,,b", 0, 0, 0 },
	{ "a b", 0, 0, 0 },
	{ "a\tb", 0, 0, 0 },
	{ "\x01", 0, 0, 0 },
	{ "[abc", 0, 0, 0 },
	{ "[]", 0, 0, 0 },
	{ "abc\\", 0, 0, 0 },
	{ "+0x10", 0, 0, 0 },
	{ "mod+0x", 0, 0, 0 },
	{ "mod+0xZZ", 0, 0, 0 },
	{ "mod+0x12g", 0, 0, 0 },
	{ "mod+0x12345678901234567", 0, 0, 0 },
	{ "[mod+0x10", 0, 0, 0 },
	{ "test_x.py:88", 1, 1, 0 },
	{ "*/tests/test_x.py:88,wait_*", 1, 2, 1 },
	{ "a:999999999", 1, 1, 0 },
	{ "a:", 1, 1, 1 },		/* no line: a glob */
	{ ":88", 0, 0, 0 },
	{ "a:088", 0, 0, 0 },
	{ "a:0", 0, 0, 0 },
	{ "a:1234567890", 0, 0, 0 },
	{ "[a:12", 0, 0, 0 },
};

static void test_parse(void)
{
	static struct ft_patterns ps;
	char many[FT_PATTERNS_TEXT + 8];
	const char *why = NULL;
	size_t i, len;

	for (i = 0; i < N(lists); i++) {
		int r = ft_patterns_parse(lists[i].in, &ps, &why);

		if (!lists[i].ok) {
			is_int(r, -1, "'%s' is rejected", lists[i].in);
			ok(why && *why, "'%s': a reason (%s)", lists[i].in,
			   why ? why : "none");
			continue;
		}
		is_int(r, 0, "'%s' parses", lists[i].in);
		ok(ps.n == lists[i].n && ps.globs == lists[i].globs,
		   "'%s': %u patterns, %u globs", lists[i].in, ps.n, ps.globs);
		is_str(ps.text, lists[i].in, "'%s' is kept whole", lists[i].in);
	}
	ft_patterns_parse("/usr/lib/*/libuv.so.1+0xABCdef0123456789", &ps,
			  &why);
	ok(ps.p[0].kind == FT_PATTERN_SITE && ps.p[0].path &&
	   ps.p[0].offset == 0xabcdef0123456789ULL && ps.p[0].len == 21,
	   "a site id: module glob with a path, offset in hex");
	/* 256 patterns fit, 257 do not; nor 8192 bytes. */
	for (len = 0, i = 0; i < 257; i++)
		len += (size_t)sprintf(many + len, "%sp%zu", i ? "," : "", i);
	is_int(ft_patterns_parse(many, &ps, &why), -1, "257 patterns");
	many[len - 5] = '\0';	/* ",p256" off */
	is_int(ft_patterns_parse(many, &ps, &why), 0, "256 patterns");
	is_int(ps.n, 256, "all 256 kept");
	memset(many, 'a', FT_PATTERNS_TEXT);
	many[FT_PATTERNS_TEXT] = '\0';
	is_int(ft_patterns_parse(many, &ps, &why), -1, "8192 bytes");
	many[FT_PATTERNS_TEXT - 1] = '\0';
	is_int(ft_patterns_parse(many, &ps, &why), 0, "8191 bytes");
}

static int matches(const char *list, const struct ft_frame_name *f, int n)
{
	static struct ft_patterns ps;
	const char *why;

	if (ft_patterns_parse(list, &ps, &why)) {
		printf("# '%s': %s\n", list, why);
		return -1;
	}
	return ft_patterns_match(&ps, f, n);
}

static void test_match(void)
{
	const struct ft_frame_name frames[] = {
		{ "/usr/lib/x86_64-linux-gnu/libuv.so.1", "uv_sleep", 0x1f00,
		  NULL, 0 },
		{ "/src/build/test_pool", "test_ipc_send", 0x1234, NULL, 0 },
		{ "/src/build/test_pool", "run_test", 0x2000, NULL, 0 },
		{ NULL, NULL, 0, NULL, 0 },
	};
	const struct ft_frame_name py[] = {
		{ NULL, "wait_for_worker", 0, "/src/tests/test_x.py", 88 },
		{ NULL, "test_pool", 0, "/src/tests/test_x.py", 120 },
		{ NULL, "run", 0, "/usr/lib/python3.11/unittest/case.py", 579 },
	};

	is_int(matches("uv_sleep", frames, 4), 1, "symbol of the site");
	is_int(matches("test_*", frames, 4), 1, "symbol of a caller");
	is_int(matches("test_*", frames, 1), 0, "callers beyond n unseen");
	is_int(matches("run_*", frames, 3), 1, "the third frame");
	is_int(matches("libuv.so*", frames, 4), 1, "module file name");
	is_int(matches("/usr/lib/*/libuv.so*", frames, 4), 1, "module path");
	is_int(matches("lib/*/libuv.so*", frames, 4), 0,
	       "a glob with a '/' is the whole path");
	is_int(matches("test_pool", frames, 4), 1, "the program's name");
	is_int(matches("libuv.so.1+0x1f00", frames, 4), 1, "site id");
	is_int(matches("libuv.so.*+0x1F00", frames, 4), 1,
	       "site id: module glob, hex in either case");
	is_int(matches("libuv.so.1+0x1f01", frames, 4), 0, "other offset");
	is_int(matches("test_pool+0x1234", frames, 4), 0,
	       "a site id is the site only, never a caller");
	is_int(matches("nothing,else,uv_*", frames, 4), 1, "any of a list");
	is_int(matches("nothing,else", frames, 4), 0, "none of a list");
	is_int(matches("*", &frames[3], 1), 0, "an unknown frame");
	is_int(matches("wait_for_*", py, 3), 1, "a Python function");
	is_int(matches("run", py, 3), 1, "a Python caller");
	is_int(matches("test_x.py", py, 3), 1, "a Python file's name");
	is_int(matches("/src/*/test_x.py", py, 3), 1, "a Python file's path");
	is_int(matches("test_x.py:88", py, 3), 1, "a Python site");
	is_int(matches("*/tests/test_x.py:88", py, 3), 1,
	       "a Python site: a path glob");
	is_int(matches("test_x.py:120", py, 3), 0,
	       "a Python site is the innermost frame only");
	is_int(matches("test_x.py:8", py, 3), 0, "another line");
	is_int(matches("uv_sleep:1", frames, 4), 0,
	       "a C frame has no Python file");
}

int main(void)
{
	test_globs();
	test_parse();
	test_match();
	return done_testing();
}
