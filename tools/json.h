/* SPDX-License-Identifier: MIT */
/*
 * A small strict JSON (RFC 8259) parser and writer for the tool: the logs
 * are read with it, `flaketrap report --json` is written with it. Not for
 * the preload library (it allocates). Numbers are kept as written, so
 * integers beyond 2^53 (times in ns) lose nothing.
 */
#ifndef FT_JSON_H
#define FT_JSON_H

#include <stddef.h>
#include <stdio.h>

enum ft_json_type {
	FT_JSON_NULL,
	FT_JSON_FALSE,
	FT_JSON_TRUE,
	FT_JSON_NUMBER,
	FT_JSON_STRING,
	FT_JSON_ARRAY,
	FT_JSON_OBJECT,
};

struct ft_json {
	enum ft_json_type type;
	/*
	 * STRING: the decoded UTF-8 text, NUL-terminated (len excludes the
	 * NUL; a \u0000 escape makes len the only full measure). NUMBER:
	 * the number as written.
	 */
	char *text;
	size_t len;
	char *name;		/* member name, inside an object */
	size_t name_len;
	struct ft_json *first;	/* ARRAY elements, OBJECT members, in order */
	struct ft_json *next;
	size_t count;
};

/* Nesting deeper than this is refused (the parser recurses). */
#define FT_JSON_MAX_DEPTH 64

/*
 * Parses s[0..len) as exactly one JSON value, whitespace around allowed.
 * Returns the tree (free with ft_json_free), or NULL with a message in err
 * ("column N: reason", column counted in bytes from 1). Strict: invalid
 * UTF-8, control characters in strings, lone surrogates, leading zeros,
 * duplicate member names and trailing data are errors.
 */
struct ft_json *ft_json_parse(const char *s, size_t len, char *err,
			      size_t errlen);

void ft_json_free(struct ft_json *v);

/* The member called name of obj, or NULL (also when obj is no object). */
const struct ft_json *ft_json_get(const struct ft_json *obj,
				  const char *name);

/*
 * 0 and *out set when v is an integer (no fraction, no exponent) that fits
 * in a long long; -1 otherwise.
 */
int ft_json_int(const struct ft_json *v, long long *out);

/* v's text when v is a string, else NULL. */
const char *ft_json_str(const struct ft_json *v);

/*
 * Length of the well-formed UTF-8 sequence at p (1 to 4; p < end), or 0:
 * overlong forms, surrogates and code points past U+10FFFF are refused.
 */
size_t ft_utf8_len(const unsigned char *p, const unsigned char *end);

/* Writes s[0..len) as a JSON string, quotes included. */
void ft_json_put_string(FILE *f, const char *s, size_t len);

/* Writes v back as compact JSON. */
void ft_json_put(FILE *f, const struct ft_json *v);

#endif
