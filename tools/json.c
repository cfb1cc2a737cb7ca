/* SPDX-License-Identifier: MIT */
/*
 * Strict JSON: a recursive-descent parser into a tree of ft_json nodes.
 * Errors name the byte column, so a bad log line can be found. The tree's
 * accessors and the writer are json-tree.c's; the check of duplicate
 * member names is json-names.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json-names.h"

struct parser {
	const unsigned char *start, *p, *end;
	int depth;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static struct ft_json *fail(struct parser *ps, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "column %zu: %s",
		 (size_t)(ps->p - ps->start) + 1, msg);
	return NULL;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct ft_json *node(struct parser *ps, enum ft_json_type type)
{
	struct ft_json *v = calloc(1, sizeof(*v));

	if (!v)
		return fail(ps, "out of memory");
	v->type = type;
	return v;
}

/* What the byte at p looks like, for messages. */
static const char *describe(struct parser *ps, char *buf, size_t len)
{
	if (ps->p >= ps->end)
		return "the end of the line";
	if (*ps->p >= 0x20 && *ps->p < 0x7f)
		snprintf(buf, len, "'%c'", *ps->p);
	else
		snprintf(buf, len, "byte 0x%02x", *ps->p);
	return buf;
}

static struct ft_json *parse_value(struct parser *ps);

size_t ft_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int hex4(const unsigned char *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The string at p (on its opening quote), decoded into a new buffer. The
 * decoded form is never longer than the source, which sizes the buffer.
 */
static char *parse_string(struct parser *ps, size_t *lenp)
{
	const unsigned char *q;
	char *out, *o;
	uint32_t cp, lo;
	size_t n;

	ps->p++;
	for (q = ps->p; q < ps->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < ps->end)
			q++;
	out = malloc((size_t)(q - ps->p) + 1);
	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	o = out;
	for (;;) {
		if (ps->p >= ps->end) {
			fail(ps, "unterminated string");
			goto bad;
		}
		if (*ps->p == '"')
			break;
		if (*ps->p < 0x20) {
			fail(ps, "control character 0x%02x in a string",
			     *ps->p);
			goto bad;
		}
		if (*ps->p != '\\') {
			n = ft_utf8_len(ps->p, ps->end);
			if (!n) {
				fail(ps, "invalid UTF-8 in a string");
				goto bad;
			}
			memcpy(o, ps->p, n);
			o += n;
			ps->p += n;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end) {
			fail(ps, "unterminated string");
			goto bad;
		}
		switch (*ps->p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp)) {
				fail(ps, "bad \\u escape");
				goto bad;
			}
			/* A byte that was not UTF-8, as the library writes
			 * it (surrogateescape): the byte itself. */
			if (cp >= 0xdc80 && cp <= 0xdcff) {
				*o++ = (char)(cp & 0xff);
				ps->p += 5;
				continue;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(ps, "lone low surrogate");
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->end - ps->p < 11 || ps->p[5] != '\\' ||
				    ps->p[6] != 'u' || hex4(ps->p + 7, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff) {
					fail(ps, "lone high surrogate");
					goto bad;
				}
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			ps->p += 4;
			o += put_utf8(o, cp);
			break;
		default:
			fail(ps, "bad escape \\%c", *ps->p >= 0x20 &&
			     *ps->p < 0x7f ? *ps->p : '?');
			goto bad;
		}
		ps->p++;
	}
	ps->p++;
	*o = '\0';
	*lenp = (size_t)(o - out);
	return out;
bad:
	free(out);
	return NULL;
}

static int is_digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static struct ft_json *parse_number(struct parser *ps)
{
	const unsigned char *from = ps->p;
	struct ft_json *v;

	if (*ps->p == '-')
		ps->p++;
	if (!is_digit(ps))
		return fail(ps, "a digit must follow '-'");
	if (*ps->p == '0') {
		ps->p++;
		if (is_digit(ps))
			return fail(ps, "leading zero in a number");
	} else {
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!is_digit(ps))
			return fail(ps, "a digit must follow '.'");
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps))
			return fail(ps, "a digit must follow the exponent");
		while (is_digit(ps))
			ps->p++;
	}
	v = node(ps, FT_JSON_NUMBER);
	if (!v)
		return NULL;
	v->len = (size_t)(ps->p - from);
	v->text = strndup((const char *)from, v->len);
	if (!v->text) {
		free(v);
		return fail(ps, "out of memory");
	}
	return v;
}

/* An array or an object: p is on its opening bracket. */
static struct ft_json *parse_container(struct parser *ps)
{
	int is_obj = *ps->p == '{';
	char close = is_obj ? '}' : ']', what[16];
	struct ft_json *v, *item, **tail;
	struct ft_json_names ix = { NULL, 0 };
	const unsigned char *name_at;
	char *name = NULL;
	size_t name_len = 0;

	if (++ps->depth > FT_JSON_MAX_DEPTH)
		return fail(ps, "nesting deeper than %d", FT_JSON_MAX_DEPTH);
	v = node(ps, is_obj ? FT_JSON_OBJECT : FT_JSON_ARRAY);
	if (!v)
		return NULL;
	tail = &v->first;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		if (is_obj) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name, found %s",
				     describe(ps, what, sizeof(what)));
				goto bad;
			}
			name_at = ps->p;
			name = parse_string(ps, &name_len);
			if (!name)
				goto bad;
			if (ft_json_names_has(&ix, v, name, name_len)) {
				ps->p = name_at;
				fail(ps, "duplicate member \"%.40s\"", name);
				goto bad;
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "expected ':', found %s",
				     describe(ps, what, sizeof(what)));
				goto bad;
			}
			ps->p++;
		}
		item = parse_value(ps);
		if (!item)
			goto bad;
		item->name = name;
		item->name_len = name_len;
		name = NULL;
		*tail = item;
		tail = &item->next;
		v->count++;
		ft_json_names_add(&ix, item);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			ft_json_names_free(&ix);
			return v;
		}
		fail(ps, "expected ',' or '%c', found %s", close,
		     describe(ps, what, sizeof(what)));
		goto bad;
	}
bad:
	ft_json_names_free(&ix);
	free(name);
	ft_json_free(v);
	return NULL;
}

static struct ft_json *literal(struct parser *ps, const char *word,
			       enum ft_json_type type)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "invalid literal (expected %s)", word);
	ps->p += n;
	return node(ps, type);
}

static struct ft_json *parse_value(struct parser *ps)
{
	struct ft_json *v;
	char what[16];

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value, found the end of the line");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps);
	case '"':
		v = node(ps, FT_JSON_STRING);
		if (!v)
			return NULL;
		v->text = parse_string(ps, &v->len);
		if (!v->text) {
			free(v);
			return NULL;
		}
		return v;
	case 't':
		return literal(ps, "true", FT_JSON_TRUE);
	case 'f':
		return literal(ps, "false", FT_JSON_FALSE);
	case 'n':
		return literal(ps, "null", FT_JSON_NULL);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		return fail(ps, "expected a value, found %s",
			    describe(ps, what, sizeof(what)));
	}
}

struct ft_json *ft_json_parse(const char *s, size_t len, char *err,
			      size_t errlen)
{
	struct parser ps = { (const unsigned char *)s,
			     (const unsigned char *)s,
			     (const unsigned char *)s + len, 0, err, errlen };
	struct ft_json *v;
	char what[16];

	v = parse_value(&ps);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		fail(&ps, "trailing data after the value: %s",
		     describe(&ps, what, sizeof(what)));
		ft_json_free(v);
		return NULL;
	}
	return v;
}

