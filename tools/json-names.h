/* SPDX-License-Identifier: MIT */
/* Duplicate member names of a JSON object, found as the parser reads it. */
#ifndef FT_JSON_NAMES_H
#define FT_JSON_NAMES_H

#include <stddef.h>

#include "json.h"

/* A large object's member names, hashed; { NULL, 0 } to start. */
struct ft_json_names {
	const struct ft_json **slot;
	size_t cap;		/* a power of two; 0: no index */
};

/* Whether obj already has a member named name[0..len). */
int ft_json_names_has(struct ft_json_names *ix, const struct ft_json *obj,
		      const char *name, size_t len);
/* Member m, just added to its object, is known from now on. */
void ft_json_names_add(struct ft_json_names *ix, const struct ft_json *m);
void ft_json_names_free(struct ft_json_names *ix);

#endif
