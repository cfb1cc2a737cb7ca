/* SPDX-License-Identifier: MIT */
/* Unit tests of the MALLOC_CONF that --junk gives the program. */
#include "junk.h"
#include "tap.h"

static const struct {
	const char *user;	/* NULL: unset */
	const char *want;	/* NULL: a conflict */
} confs[] = {
	{ NULL, "junk:true" },
	{ "", "junk:true" },
	{ "narenas:2", "narenas:2,junk:true" },
	{ "junk:true", "junk:true" },
	{ "narenas:2,junk:true,tcache:false", "narenas:2,junk:true,tcache:false" },
	{ "junk:false", NULL },
	{ "narenas:2,junk:free", NULL },
	{ "junk:alloc", NULL },
	{ "junk:truer", NULL },
	{ "xjunk:false", "xjunk:false,junk:true" },
};

int main(void)
{
	char out[128], err[256];
	size_t i;

	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		const char *user = confs[i].user ? confs[i].user : "(unset)";
		int r = ft_junk_malloc_conf(confs[i].user, out, sizeof(out),
					    err, sizeof(err));

		if (!confs[i].want) {
			is_int(r, -1, "MALLOC_CONF=%s conflicts", user);
			ok(strstr(err, "conflicts with --junk") != NULL,
			   "MALLOC_CONF=%s: the error says why", user);
			continue;
		}
		is_int(r, 0, "MALLOC_CONF=%s is kept", user);
		ok(strcmp(out, confs[i].want) == 0, "MALLOC_CONF=%s gives %s",
		   user, confs[i].want);
	}
	is_int(ft_junk_malloc_conf("narenas:2", out, 8, err, sizeof(err)), -1,
	       "a result longer than the room is an error");
	return done_testing();
}
