/* SPDX-License-Identifier: MIT */
/*
 * The tree of a parsed JSON value: its accessors, its freeing, and the
 * writer (which also writes strings of ours as the library does).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void ft_json_free(struct ft_json *v)
{
	struct ft_json *next;

	for (; v; v = next) {
		next = v->next;
		ft_json_free(v->first);
		free(v->text);
		free(v->name);
		free(v);
	}
}

const struct ft_json *ft_json_get(const struct ft_json *obj,
				  const char *name)
{
	const struct ft_json *m;
	size_t len = strlen(name);

	if (!obj || obj->type != FT_JSON_OBJECT)
		return NULL;
	for (m = obj->first; m; m = m->next)
		if (m->name_len == len && !memcmp(m->name, name, len))
			return m;
	return NULL;
}

int ft_json_int(const struct ft_json *v, long long *out)
{
	char *end;
	long long n;

	if (!v || v->type != FT_JSON_NUMBER ||
	    strpbrk(v->text, ".eE"))
		return -1;
	errno = 0;
	n = strtoll(v->text, &end, 10);
	if (errno || *end)
		return -1;
	*out = n;
	return 0;
}

const char *ft_json_str(const struct ft_json *v)
{
	return v && v->type == FT_JSON_STRING ? v->text : NULL;
}

void ft_json_put_string(FILE *f, const char *s, size_t len)
{
	size_t i, n;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else if (c < 0x80)
			fputc(c, f);
		else if ((n = ft_utf8_len((const unsigned char *)s + i,
					  (const unsigned char *)s + len))) {
			fwrite(s + i, 1, n, f);
			i += n - 1;
		} else {
			/* As the library writes it (surrogateescape). */
			fprintf(f, "\\udc%02x", c);
		}
	}
	fputc('"', f);
}

void ft_json_put(FILE *f, const struct ft_json *v)
{
	const struct ft_json *m;

	switch (v->type) {
	case FT_JSON_NULL:
		fputs("null", f);
		break;
	case FT_JSON_FALSE:
		fputs("false", f);
		break;
	case FT_JSON_TRUE:
		fputs("true", f);
		break;
	case FT_JSON_NUMBER:
		fputs(v->text, f);
		break;
	case FT_JSON_STRING:
		ft_json_put_string(f, v->text, v->len);
		break;
	case FT_JSON_ARRAY:
	case FT_JSON_OBJECT:
		fputc(v->type == FT_JSON_ARRAY ? '[' : '{', f);
		for (m = v->first; m; m = m->next) {
			if (m != v->first)
				fputc(',', f);
			if (v->type == FT_JSON_OBJECT) {
				ft_json_put_string(f, m->name, m->name_len);
				fputc(':', f);
			}
			ft_json_put(f, m);
		}
		fputc(v->type == FT_JSON_ARRAY ? ']' : '}', f);
		break;
	}
}

