/* SPDX-License-Identifier: MIT */
/*
 * FLAKETRAP_SLEEP_ONLY and FLAKETRAP_SLEEP_SKIP: parsing (strict, as every
 * knob) and matching against a sleep's caller. Pure code, shared by the
 * library, the tool and the unit tests; matching is async-signal-safe (a
 * glob matcher of our own: fnmatch may allocate for multibyte locales).
 */
#include <string.h>

#include "pattern.h"

/*
 * The set at pat[*pi] ('[' there) against c; *pi moves past its ']'. The
 * set was checked when parsed: it is closed.
 */
static int match_set(const char *pat, size_t len, size_t *pi, unsigned char c)
{
	size_t i = *pi + 1;
	int neg = 0, hit = 0, first = 1;
	unsigned char lo, hi;

	if (i < len && (pat[i] == '!' || pat[i] == '^')) {
		neg = 1;
		i++;
	}
	while (i < len && (pat[i] != ']' || first)) {
		first = 0;
		if (pat[i] == '\\' && i + 1 < len)
			i++;
		lo = hi = (unsigned char)pat[i++];
		if (i + 1 < len && pat[i] == '-' && pat[i + 1] != ']') {
			i++;
			if (pat[i] == '\\' && i + 1 < len)
				i++;
			hi = (unsigned char)pat[i++];
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	*pi = i + 1;
	return hit != neg;
}

/* The element of pat at *pi (not '*') against c; *pi moves past it. */
static int match_one(const char *pat, size_t len, size_t *pi, unsigned char c)
{
	size_t i = *pi;

	if (pat[i] == '[')
		return match_set(pat, len, pi, c);
	if (pat[i] == '?') {
		*pi = i + 1;
		return 1;
	}
	if (pat[i] == '\\' && i + 1 < len)
		i++;
	*pi = i + 1;
	return (unsigned char)pat[i] == c;
}

int ft_glob_match(const char *pat, size_t len, const char *s)
{
	size_t pi = 0, next, star_pi = 0;
	const char *star_s = NULL;

	for (;;) {
		if (pi < len && pat[pi] == '*') {
			star_pi = ++pi;
			star_s = s;
			continue;
		}
		if (*s && pi < len) {
			next = pi;
			if (match_one(pat, len, &next, (unsigned char)*s)) {
				pi = next;
				s++;
				continue;
			}
		} else if (!*s && pi == len) {
			return 1;
		}
		/* A mismatch: the last '*' takes one more character. */
		if (!star_s || !*star_s)
			return 0;
		s = ++star_s;
		pi = star_pi;
	}
}

/* NULL when the glob p[0, len) is well formed, else why not. */
static const char *glob_check(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (p[i] == '\\') {
			if (i + 1 == len)
				return "a '\\' at the end of a pattern quotes"
				       " nothing";
			i += 2;
			continue;
		}
		if (p[i++] != '[')
			continue;
		if (i < len && (p[i] == '!' || p[i] == '^'))
			i++;
		if (i < len && p[i] == ']')
			i++;	/* a leading ']' is a member */
		while (i < len && p[i] != ']')
			i += p[i] == '\\' && i + 1 < len ? 2 : 1;
		if (i >= len)
			return "a '[' without its ']'";
		i++;
	}
	return NULL;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int hex_value(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The pattern at ps->text[at, at + len) into the next slot of ps. */
static int parse_one(struct ft_patterns *ps, size_t at, size_t len,
		     const char **why)
{
	struct ft_pattern *p = &ps->p[ps->n];
	const char *s = ps->text + at;
	size_t i, k, glob_len = len;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			*why = "a space or a control character in a pattern";
			return -1;
		}
	}
	p->kind = FT_PATTERN_GLOB;
	/* A Python site: FILE:LINE, the line in decimal. */
	for (k = len; k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9'; k--)
		;
	if (k < len && k > 0 && s[k - 1] == ':') {
		if (k == 1) {
			*why = "a Python site needs a file before :LINE";
			return -1;
		}
		if (len - k > 9 || s[k] == '0') {
			*why = "a Python site is FILE:LINE, the line from 1"
			       " to 999999999";
			return -1;
		}
		p->offset = 0;
		for (i = k; i < len; i++)
			p->offset = p->offset * 10 + (uint64_t)(s[i] - '0');
		p->kind = FT_PATTERN_LINE;
		glob_len = k - 1;
	}
	for (k = p->kind == FT_PATTERN_GLOB ? len : 0; k >= 3; k--) {
		if (memcmp(s + k - 3, "+0x", 3) != 0)
			continue;
		/* A site id: MODULE+0xOFFSET, the offset in hex. */
		if (k == 3) {
			*why = "a site id needs a module before +0x";
			return -1;
		}
		if (len - k < 1 || len - k > 16) {
			*why = "a site id is MODULE+0xOFFSET, with 1 to 16"
			       " hex digits";
			return -1;
		}
		p->offset = 0;
		for (i = k; i < len; i++) {
			if (!is_hex(s[i])) {
				*why = "a site id is MODULE+0xOFFSET, with 1"
				       " to 16 hex digits";
				return -1;
			}
			p->offset = p->offset << 4 | (uint64_t)hex_value(s[i]);
		}
		p->kind = FT_PATTERN_SITE;
		glob_len = k - 3;
		break;
	}
	*why = glob_check(s, glob_len);
	if (*why)
		return -1;
	p->at = (unsigned short)at;
	p->len = (unsigned short)glob_len;
	p->path = memchr(s, '/', glob_len) != NULL;
	ps->globs += p->kind == FT_PATTERN_GLOB;
	ps->n++;
	return 0;
}

int ft_patterns_parse(const char *s, struct ft_patterns *ps, const char **why)
{
	size_t n = strlen(s), start, end;

	ps->n = ps->globs = 0;
	ps->text[0] = '\0';
	if (n == 0) {
		*why = "empty value";
		return -1;
	}
	if (n >= FT_PATTERNS_TEXT) {
		*why = "too long (at most 8191 bytes)";
		return -1;
	}
	memcpy(ps->text, s, n + 1);
	for (start = 0;; start = end + 1) {
		for (end = start; end < n && s[end] != ','; end++)
			;
		if (end == start) {
			*why = "an empty pattern (two commas in a row, or one"
			       " at an end)";
			return -1;
		}
		if (ps->n == FT_PATTERNS_MAX) {
			*why = "more than 256 patterns";
			return -1;
		}
		if (parse_one(ps, start, end - start, why))
			return -1;
		if (end == n)
			return 0;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int module_matches(const struct ft_patterns *ps,
			  const struct ft_pattern *p, const char *module)
{
	return module && ft_glob_match(ps->text + p->at, p->len,
				       p->path ? module : base_name(module));
}

int ft_patterns_match(const struct ft_patterns *ps,
		      const struct ft_frame_name *frames, int n)
{
	const struct ft_pattern *p;
	unsigned i;
	int f;

	for (i = 0; i < ps->n; i++) {
		p = &ps->p[i];
		if (p->kind == FT_PATTERN_LINE) {
			if (n > 0 && frames[0].file &&
			    frames[0].line == p->offset &&
			    module_matches(ps, p, frames[0].file))
				return 1;
			continue;
		}
		if (p->kind == FT_PATTERN_SITE) {
			if (n > 0 && frames[0].offset == p->offset &&
			    module_matches(ps, p, frames[0].module))
				return 1;
			continue;
		}
		for (f = 0; f < n; f++)
			if ((frames[f].symbol &&
			     ft_glob_match(ps->text + p->at, p->len,
					   frames[f].symbol)) ||
			    module_matches(ps, p, frames[f].module) ||
			    module_matches(ps, p, frames[f].file))
				return 1;
	}
	return 0;
}
