/* SPDX-License-Identifier: MIT */
/* Record checks of schema 1, for logs/record.c: one table of keys per event. */
#include <stdio.h>
#include <string.h>

#include "schema.h"

enum want { W_INT, W_STR, W_BOOL, W_HEX, W_BUILD_ID, W_STRS, W_FRAME,
	    W_FRAMES, W_TALLY, W_SITES, W_CHAOS_SITES };

struct field {
	const char *key;
	enum want want;
	int required;
};

static const struct field common_fields[] = {
	{ "event", W_STR, 1 }, { "time_ns", W_INT, 1 }, { "pid", W_INT, 1 },
	{ "truncated", W_BOOL, 0 }, { NULL, 0, 0 },
};
static const struct field start_fields[] = {
	{ "schema", W_INT, 1 }, { NULL, 0, 0 },
};
static const struct field child_fields[] = {
	{ "child", W_INT, 1 }, { "state", W_STR, 1 }, { "origin", W_STR, 1 },
	{ "cmdline", W_STRS, 0 }, { "comm", W_STR, 0 },
	{ "created_ns", W_INT, 0 }, { "creator_tid", W_INT, 0 },
	{ "backtrace", W_FRAMES, 0 }, { "test", W_STR, 0 }, { NULL, 0, 0 },
};
static const struct field thread_fields[] = {
	{ "tid", W_INT, 1 }, { "state", W_STR, 1 }, { "origin", W_STR, 1 },
	{ "name", W_STR, 0 }, { "detached", W_BOOL, 0 },
	{ "start_routine", W_FRAME, 0 }, { "created_ns", W_INT, 0 },
	{ "backtrace", W_FRAMES, 0 }, { "stack", W_FRAMES, 0 },
	{ "stack_unavailable", W_STR, 0 }, { "test", W_STR, 0 },
	{ NULL, 0, 0 },
};
static const struct field crash_fields[] = {
	{ "signal", W_INT, 1 }, { "tid", W_INT, 0 },
	{ "signal_name", W_STR, 0 }, { "si_code", W_INT, 0 },
	{ "addr", W_HEX, 0 }, { "exiting", W_BOOL, 0 },
	{ "backtrace", W_FRAMES, 0 }, { NULL, 0, 0 },
};
static const struct field stack_fields[] = {
	{ "tid", W_INT, 1 }, { "name", W_STR, 0 }, { "main", W_BOOL, 0 },
	{ "signalled", W_BOOL, 0 }, { "stack", W_FRAMES, 0 },
	{ "stack_unavailable", W_STR, 0 }, { NULL, 0, 0 },
};
static const struct field frame_fields[] = {
	{ "ip", W_HEX, 1 }, { "module", W_STR, 0 }, { "offset", W_HEX, 0 },
	{ "build_id", W_BUILD_ID, 0 }, { "symbol", W_STR, 0 },
	{ "symbol_offset", W_INT, 0 }, { NULL, 0, 0 },
};

/* The counts of a sleep site, or of the sleeps of no listed site. */
static const struct field tally_fields[] = {
	{ "seen", W_INT, 1 }, { "changed", W_INT, 1 },
	{ "requested_ns", W_INT, 1 }, { "slept_ns", W_INT, 1 },
	{ NULL, 0, 0 },
};
static const struct field site_fields[] = {
	{ "id", W_STR, 1 }, { "backtrace", W_FRAMES, 1 }, { "test", W_STR, 0 },
	{ NULL, 0, 0 },
};
static const struct field sleep_sites_fields[] = {
	{ "sites", W_SITES, 1 }, { "other", W_TALLY, 0 }, { NULL, 0, 0 },
};
/* The holds at a chaos site, or at no listed site. */
static const struct field chaos_tally_fields[] = {
	{ "holds", W_INT, 1 }, { "held_ns", W_INT, 1 }, { NULL, 0, 0 },
};
static const struct field chaos_sites_fields[] = {
	{ "sites", W_CHAOS_SITES, 1 }, { NULL, 0, 0 },
};

/* "0x" and 1 to 16 hex digits: an address. */
static int is_hex_address(const char *s)
{
	size_t n;

	if (!s || s[0] != '0' || s[1] != 'x')
		return 0;
	n = strspn(s + 2, "0123456789abcdefABCDEF");
	return n >= 1 && n <= 16 && s[2 + n] == '\0';
}

static int is_build_id(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strspn(s, "0123456789abcdefABCDEF");
	return n > 0 && n % 2 == 0 && s[n] == '\0';
}

static const char *check_fields(const struct ft_json *obj,
				const struct field *f, char *why, size_t len);

/* NULL when v is what w asks for, else what it should have been. */
static const char *check_value(const struct ft_json *v, enum want w,
			       char *why, size_t len)
{
	const struct ft_json *e;
	long long n;
	size_t i = 0;

	switch (w) {
	case W_INT:
		return ft_json_int(v, &n) ? "an integer" : NULL;
	case W_STR:
		return v->type == FT_JSON_STRING ? NULL : "a string";
	case W_BOOL:
		return v->type == FT_JSON_TRUE || v->type == FT_JSON_FALSE
			       ? NULL
			       : "true or false";
	case W_HEX:
		return is_hex_address(ft_json_str(v)) ? NULL
						       : "a \"0x...\" string";
	case W_BUILD_ID:
		return is_build_id(ft_json_str(v)) ? NULL : "a hex string";
	case W_STRS:
		if (v->type != FT_JSON_ARRAY)
			return "an array of strings";
		for (e = v->first; e; e = e->next)
			if (e->type != FT_JSON_STRING)
				return "an array of strings";
		return NULL;
	case W_FRAME:
		if (v->type != FT_JSON_OBJECT)
			return "a frame object";
		return check_fields(v, frame_fields, why, len);
	case W_TALLY:
		if (v->type != FT_JSON_OBJECT)
			return "an object of counts";
		return check_fields(v, tally_fields, why, len);
	case W_SITES:
	case W_CHAOS_SITES:
		if (v->type != FT_JSON_ARRAY)
			return "an array of sites";
		for (e = v->first; e; e = e->next, i++) {
			char sub[160];
			const char *w2 = e->type != FT_JSON_OBJECT
				? "not an object"
				: check_fields(e, w == W_SITES ? tally_fields
							       : chaos_tally_fields,
					       sub, sizeof(sub));

			if (!w2)
				w2 = check_fields(e, site_fields, sub,
						  sizeof(sub));
			if (w2) {
				snprintf(why, len, "site %zu: %s", i, w2);
				return why;
			}
		}
		return NULL;
	case W_FRAMES:
		if (v->type != FT_JSON_ARRAY)
			return "an array of frames";
		for (e = v->first; e; e = e->next, i++) {
			char sub[160];
			const char *w2 = check_value(e, W_FRAME, sub,
						     sizeof(sub));

			if (w2) {
				snprintf(why, len, "frame %zu: %s", i,
					 w2 == sub ? sub : w2);
				return why;
			}
		}
		return NULL;
	}
	return NULL;
}

/*
 * NULL when obj has each required field and every listed field present
 * has its type; else a reason (in why, or static).
 */
static const char *check_fields(const struct ft_json *obj,
				const struct field *f, char *why, size_t len)
{
	const struct ft_json *v;
	const char *w;
	char sub[200];

	for (; f->key; f++) {
		v = ft_json_get(obj, f->key);
		if (!v) {
			if (!f->required)
				continue;
			snprintf(why, len, "\"%s\" is missing", f->key);
			return why;
		}
		w = check_value(v, f->want, sub, sizeof(sub));
		if (w == sub) {
			snprintf(why, len, "\"%s\" %s", f->key, sub);
			return why;
		}
		if (w) {
			snprintf(why, len, "\"%s\" is not %s", f->key, w);
			return why;
		}
	}
	return NULL;
}

const char *ft_schema_check(const struct ft_json *obj,
			    enum ft_schema_part part, char *why, size_t len)
{
	static const struct field *const parts[] = {
		[FT_SCHEMA_RECORD] = common_fields,
		[FT_SCHEMA_START] = start_fields,
		[FT_SCHEMA_LEAKED_CHILD] = child_fields,
		[FT_SCHEMA_LEAKED_THREAD] = thread_fields,
		[FT_SCHEMA_CRASH] = crash_fields,
		[FT_SCHEMA_THREAD_STACK] = stack_fields,
		[FT_SCHEMA_SLEEP_SITES] = sleep_sites_fields,
		[FT_SCHEMA_CHAOS_SITES] = chaos_sites_fields,
	};

	return check_fields(obj, parts[part], why, len);
}
