/* SPDX-License-Identifier: MIT */
/* Unit tests of the tool's strict JSON parser and writer (tools/json.c). */
#include <stdlib.h>

#include "json.h"
#include "tap.h"

/* Parses s, writes it back compact; "ERR column N: ..." on refusal. */
static char *roundtrip(const char *s, size_t len)
{
	static char out[4096];
	char err[200];
	struct ft_json *v = ft_json_parse(s, len, err, sizeof(err));
	FILE *f;

	if (!v) {
		snprintf(out, sizeof(out), "ERR %s", err);
		return out;
	}
	f = fmemopen(out, sizeof(out), "w");
	ft_json_put(f, v);
	fclose(f);
	ft_json_free(v);
	return out;
}

#define RT(s) roundtrip(s, sizeof(s) - 1)

/*
 * {"k0":0,...,"k<n-1>":0} with the name of member dup_at (when below n)
 * the one of member dup_of: large objects use a hashed index of names.
 */
static char *many_members(size_t n, size_t dup_at, size_t dup_of,
			  size_t *len, size_t *dup_column)
{
	char *s = malloc(n * 16 + 3), *p = s;
	size_t i;

	if (!s)
		exit(2);
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		if (i == dup_at)
			*dup_column = (size_t)(p - s) + 1;
		p += sprintf(p, "\"k%zu\":0", i == dup_at ? dup_of : i);
	}
	*p++ = '}';
	*len = (size_t)(p - s);
	return s;
}

/* The member names of large objects: duplicates found at each size, the
 * column that of the second name. */
static void large_objects(void)
{
	static const size_t sizes[] = { 15, 16, 17, 100, 5000, 100000 };
	struct ft_json *v;
	char err[200], want[200];
	size_t i, len, column = 0;
	char *s;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = many_members(sizes[i], sizes[i], 0, &len, &column);
		v = ft_json_parse(s, len, err, sizeof(err));
		ok(v && v->count == sizes[i] &&
		   ft_json_get(v, "k0") && ft_json_get(v, "k7"),
		   "%zu distinct members parse", sizes[i]);
		ft_json_free(v);
		free(s);
		/* The last member repeats the first; then one in the middle
		 * repeats its predecessor. */
		s = many_members(sizes[i], sizes[i] - 1, 0, &len, &column);
		v = ft_json_parse(s, len, err, sizeof(err));
		snprintf(want, sizeof(want), "column %zu: duplicate member "
			 "\"k0\"", column);
		ok(!v && !strcmp(err, want), "%zu members, the last a "
		   "duplicate of the first: %s", sizes[i], v ? "parsed" : err);
		ft_json_free(v);
		free(s);
		s = many_members(sizes[i], sizes[i] / 2, sizes[i] / 2 - 1,
				 &len, &column);
		v = ft_json_parse(s, len, err, sizeof(err));
		snprintf(want, sizeof(want), "column %zu: duplicate member "
			 "\"k%zu\"", column, sizes[i] / 2 - 1);
		ok(!v && !strcmp(err, want), "%zu members, one in the middle "
		   "a duplicate: %s", sizes[i], v ? "parsed" : err);
		ft_json_free(v);
		free(s);
	}
}

int main(void)
{
	static const char *const bad[][2] = {
		{ "", "column 1: expected a value, found the end of the line" },
		{ "{\"a\":1", "column 7: expected ',' or '}', found the end of the line" },
		{ "{\"a\":1,}", "column 8: expected a member name, found '}'" },
		{ "[1,]", "column 4: expected a value, found ']'" },
		{ "01", "column 2: leading zero in a number" },
		{ "1.", "column 3: a digit must follow '.'" },
		{ "-", "column 2: a digit must follow '-'" },
		{ "1e", "column 3: a digit must follow the exponent" },
		{ "tru", "column 1: invalid literal (expected true)" },
		{ "{} x", "column 4: trailing data after the value: 'x'" },
		{ "\"a\tb\"", "column 3: control character 0x09 in a string" },
		{ "\"\\x\"", "column 3: bad escape \\x" },
		{ "\"\\ud800\"", "column 3: lone high surrogate" },
		{ "\"\\udc00\"", "column 3: lone low surrogate" },
		{ "\"\\u12g4\"", "column 3: bad \\u escape" },
		{ "\"abc", "column 5: unterminated string" },
		{ "{\"a\":1,\"a\":2}", "column 8: duplicate member \"a\"" },
		{ "{1:2}", "column 2: expected a member name, found '1'" },
		{ "{\"a\" 1}", "column 6: expected ':', found '1'" },
		{ "\"\xc0\xaf\"", "column 2: invalid UTF-8 in a string" },
		{ "\"\xed\xa0\x80\"", "column 2: invalid UTF-8 in a string" },
		{ "\"\xf4\x90\x80\x80\"", "column 2: invalid UTF-8 in a string" },
		{ "\"\xe2\x82\"", "column 2: invalid UTF-8 in a string" },
		{ "\x7f" "ELF", "column 1: expected a value, found byte 0x7f" },
		{ "NaN", "column 1: expected a value, found 'N'" },
	};
	static const char obj[] = "{\"t\":1795702122696575673,\"f\":1.5,"
		"\"e\":1e3,\"big\":9223372036854775808,\"neg\":-3,"
		"\"s\":\"x\\u0000y\"}";
	char deep[200], err[200], *want;
	struct ft_json *v;
	long long n;
	size_t i;

	is_str(RT(" {\"a\" : [1, -2.5e+3, true, false, null, \"x\"], \"b\":{}} "),
	       "{\"a\":[1,-2.5e+3,true,false,null,\"x\"],\"b\":{}}",
	       "values round-trip, whitespace dropped");
	is_str(RT("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""),
	       "\"\\\"\\\\/\\u0008\\u000c\\n\\u000d\\t\xc3\xa9\xf0\x9f\x98\x80\"",
	       "escapes decode; surrogate pairs become UTF-8");
	is_str(RT("\"\xe2\x82\xac \xf0\x9f\x98\x80\""),
	       "\"\xe2\x82\xac \xf0\x9f\x98\x80\"", "raw UTF-8 is kept");
	is_str(RT("[]"), "[]", "empty array");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		want = malloc(strlen(bad[i][1]) + 5);
		sprintf(want, "ERR %s", bad[i][1]);
		is_str(roundtrip(bad[i][0], strlen(bad[i][0])), want,
		       "refused: %s", bad[i][1]);
		free(want);
	}
	is_str(roundtrip("\"a\0b\"", 5),
	       "ERR column 3: control character 0x00 in a string",
	       "a raw NUL byte is refused");
	is_str(roundtrip("{}\0", 3),
	       "ERR column 3: trailing data after the value: byte 0x00",
	       "a NUL after the value is refused");

	memset(deep, '[', FT_JSON_MAX_DEPTH);
	memset(deep + FT_JSON_MAX_DEPTH, ']', FT_JSON_MAX_DEPTH);
	ok(roundtrip(deep, 2 * FT_JSON_MAX_DEPTH)[0] == '[',
	   "nesting up to the limit is fine");
	memset(deep, '[', FT_JSON_MAX_DEPTH + 1);
	memset(deep + FT_JSON_MAX_DEPTH + 1, ']', FT_JSON_MAX_DEPTH + 1);
	is_str(roundtrip(deep, 2 * FT_JSON_MAX_DEPTH + 2),
	       "ERR column 65: nesting deeper than 64",
	       "nesting past the limit is refused");

	large_objects();

	v = ft_json_parse(obj, strlen(obj), err, sizeof(err));
	ok(v != NULL, "an object with numbers parses");
	if (!v)
		return done_testing();
	ok(ft_json_int(ft_json_get(v, "t"), &n) == 0 &&
	   n == 1795702122696575673LL, "integers past 2^53 are exact");
	ok(ft_json_int(ft_json_get(v, "neg"), &n) == 0 && n == -3,
	   "negative integer");
	ok(ft_json_int(ft_json_get(v, "f"), &n) == -1, "1.5 is no integer");
	ok(ft_json_int(ft_json_get(v, "e"), &n) == -1, "1e3 is no integer");
	ok(ft_json_int(ft_json_get(v, "big"), &n) == -1,
	   "out of range is no integer");
	ok(ft_json_int(ft_json_get(v, "s"), &n) == -1, "a string is no integer");
	ok(ft_json_get(v, "nope") == NULL, "a missing member is NULL");
	is_int(ft_json_get(v, "s")->len, 3, "\\u0000 is kept in len");
	ok(ft_json_str(ft_json_get(v, "t")) == NULL, "a number is no string");
	is_int(v->count, 6, "member count");
	ft_json_free(v);
	return done_testing();
}
