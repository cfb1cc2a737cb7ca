/* SPDX-License-Identifier: MIT */
/*
 * The patterns of FLAKETRAP_SLEEP_ONLY and FLAKETRAP_SLEEP_SKIP, which pick
 * sleeps by their caller: a glob compared with a frame's symbol and its
 * module's file name, or a site id (MODULE+0xOFFSET, as the log's
 * sleep_sites record prints it). Pure: no allocation, no global state, no
 * stdio, so the library (in its async-signal-safe wrappers), the tool and
 * the unit tests share it. A parsed list holds offsets into its own copy of
 * the text, never pointers: the struct may be copied.
 */
#ifndef FT_PATTERN_H
#define FT_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#define FT_PATTERNS_MAX 256
#define FT_PATTERNS_TEXT 8192

enum ft_pattern_kind {
	FT_PATTERN_GLOB,	/* a symbol or a module */
	FT_PATTERN_SITE,	/* a module glob and an exact offset */
	FT_PATTERN_LINE,	/* a Python site: a file glob and a line */
};

struct ft_pattern {
	enum ft_pattern_kind kind;
	unsigned short at, len;	/* the glob: text[at, at + len) */
	unsigned char path;	/* the glob holds a '/': whole module path */
	uint64_t offset;	/* FT_PATTERN_SITE; the line of FT_PATTERN_LINE */
};

struct ft_patterns {
	unsigned n;
	unsigned globs;		/* how many are FT_PATTERN_GLOB */
	struct ft_pattern p[FT_PATTERNS_MAX];
	char text[FT_PATTERNS_TEXT];	/* the value as given */
};

/*
 * Parses "PAT[,PAT...]" into *ps. Returns 0, or -1 with *why set to a short
 * static reason: an empty value or pattern, a space or control character,
 * an unclosed '[' or a trailing '\' in a glob, a bad site id (or
 * Python FILE:LINE: a line of 1 to 9 digits, no leading 0), too many
 * patterns or too long a value.
 */
int ft_patterns_parse(const char *s, struct ft_patterns *ps, const char **why);

/* What is known of one frame; NULL where unknown. */
struct ft_frame_name {
	const char *module;	/* the module's path */
	const char *symbol;
	uint64_t offset;	/* the frame's address in its module */
	const char *file;	/* a Python frame's file (module NULL) */
	unsigned line;		/* and its line, 0 when unknown */
};

/*
 * Whether a pattern of ps matches the caller: frames[0] is the sleep's
 * site (the first frame outside libc and flaketrap), the others its
 * callers. A site id matches frames[0] alone, as a Python site (FILE:LINE)
 * does a Python frames[0]; a glob matches any frame's symbol, or its
 * module's or Python file's name (its whole path when the glob holds a
 * '/'). async-signal-safe
 */
int ft_patterns_match(const struct ft_patterns *ps,
		      const struct ft_frame_name *frames, int n);

/*
 * The glob pat[0, len) against the whole of s: '*' any run of characters
 * ('/' included), '?' one, '[...]' one of a set (ranges a-z, '!' or '^'
 * first to negate), '\' quotes the next character. async-signal-safe
 */
int ft_glob_match(const char *pat, size_t len, const char *s);

#endif
