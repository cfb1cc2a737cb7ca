/* SPDX-License-Identifier: MIT */
/*
 * The member names of a large object, hashed: a line of a hundred thousand
 * members is checked for duplicates in linear time, not quadratic (13 s).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-names.h"

/* Objects with fewer members are searched member by member. */
#define INDEX_FROM 16

static size_t name_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static const struct ft_json **index_find(const struct ft_json_names *ix,
					 const char *name, size_t len)
{
	size_t i = name_hash(name, len) & (ix->cap - 1);

	for (; ix->slot[i]; i = (i + 1) & (ix->cap - 1))
		if (ix->slot[i]->name_len == len &&
		    !memcmp(ix->slot[i]->name, name, len))
			break;
	return &ix->slot[i];
}

/* Indexes the members of obj, in a table at most half full after n more. */
static int index_build(struct ft_json_names *ix, const struct ft_json *obj)
{
	const struct ft_json *m;
	size_t cap = 64;

	while (cap < 4 * (obj->count + 1))
		cap *= 2;
	free(ix->slot);
	ix->slot = calloc(cap, sizeof(*ix->slot));
	ix->cap = ix->slot ? cap : 0;
	if (!ix->slot)
		return -1;
	for (m = obj->first; m; m = m->next)
		*index_find(ix, m->name, m->name_len) = m;
	return 0;
}

int ft_json_names_has(struct ft_json_names *ix, const struct ft_json *obj,
		      const char *name, size_t len)
{
	const struct ft_json *m;

	if (obj->count >= INDEX_FROM &&
	    (ix->cap >= 2 * (obj->count + 1) || index_build(ix, obj) == 0))
		return *index_find(ix, name, len) != NULL;
	/* Small, or no memory for an index: the slow way. */
	for (m = obj->first; m; m = m->next)
		if (m->name_len == len && !memcmp(m->name, name, len))
			return 1;
	return 0;
}

void ft_json_names_add(struct ft_json_names *ix, const struct ft_json *m)
{
	if (ix->cap)
		*index_find(ix, m->name, m->name_len) = m;
}

void ft_json_names_free(struct ft_json_names *ix)
{
	free(ix->slot);
}
