/* SPDX-License-Identifier: MIT */
/*
 * The shape of schema-1 records (docs/log-schema.md): which keys
 * each event must or may have, and their types.
 * Keys not listed are accepted (a newer library may add them).
 */
#ifndef FT_SCHEMA_H
#define FT_SCHEMA_H

#include <stddef.h>

#include "json.h"

enum ft_schema_part {
	FT_SCHEMA_RECORD,	/* event, time_ns, pid: every record */
	FT_SCHEMA_START,
	FT_SCHEMA_LEAKED_CHILD,
	FT_SCHEMA_LEAKED_THREAD,
	FT_SCHEMA_CRASH,
	FT_SCHEMA_THREAD_STACK,
	FT_SCHEMA_SLEEP_SITES,
	FT_SCHEMA_CHAOS_SITES,
};

/*
 * NULL when obj (a JSON object) has the keys part requires, and every key
 * part lists that obj has is of its type (frames checked too); else the
 * reason, e.g. "\"child\" is not an integer" (in why, or static).
 */
const char *ft_schema_check(const struct ft_json *obj,
			    enum ft_schema_part part, char *why, size_t len);

#endif
