/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the knob parser, from the environment to the config
 * (ft_config_parse, as the library calls it at start-up).
 *
 * Input: lines. "NAME=value" becomes FLAKETRAP_NAME=value; a line starting
 * with '!' is an environment entry as is (unprefixed, without '=', any
 * name). The knob names come from config.def (the dictionary and seeds
 * `make fuzz` writes from it), so a new knob is fuzzed without an edit here.
 * After a parse, what the rest of the library relies on is checked: every
 * range in order, every bound kept, every text NUL-terminated; after a
 * refusal, one NUL-terminated line naming the variable. The sleep-site
 * patterns are matched too, so the glob matcher is fuzzed with them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_ENTRIES 64
#define INPUT_MAX 4096

static void check(int cond)
{
	if (!cond)
		abort();
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/*
 * A parsed pattern list stays inside its own text, and matching it (the
 * glob matcher, with sets and escapes the parser let through) ends on any
 * frame: a made-up one whose names are the list's own text.
 */
static void check_patterns(const struct ft_patterns *ps)
{
	struct ft_frame_name frames[2] = {
		{ ps->text, ps->text, 0x10, ps->text, 1 },
		{ "/lib/libx.so.1", NULL, 0, NULL, 0 },
	};
	unsigned i, globs = 0;

	check(ps->n <= FT_PATTERNS_MAX);
	check(terminated(ps->text, sizeof(ps->text)));
	for (i = 0; i < ps->n; i++) {
		check((size_t)ps->p[i].at + ps->p[i].len <= strlen(ps->text));
		globs += ps->p[i].kind == FT_PATTERN_GLOB;
	}
	check(globs == ps->globs);
	(void)ft_patterns_match(ps, frames, 2);
}

static void check_config(const struct ft_config *c)
{
	size_t i;

	check(c->sleep.mode <= FT_SLEEP_SCALE);
	if (c->sleep.mode == FT_SLEEP_FIXED || c->sleep.mode == FT_SLEEP_RANGE)
		check(c->sleep.lo_ns >= 0 && c->sleep.lo_ns <= c->sleep.hi_ns);
	check(c->sleep.scale_ppb <= 1000000 * FT_PPB);
	check(c->sleep_min_ns >= 0);
	check(c->sleep_prob_ppb <= FT_PPB);
	check(terminated(c->log_dir, sizeof(c->log_dir)));
	check((c->leaks & ~(FT_LEAK_CHILDREN | FT_LEAK_THREADS)) == 0);
	check(c->backtrace <= FT_BACKTRACE_MAX);
	check(c->crash == 0 || c->crash == 1);
	check(c->stack_signal >= 0 && c->stack_signal < 65);
	check(c->stack_timeout_ns >= 0);
	check(c->stack_requests == 0 || c->stack_requests == 1);
	for (i = 0; i < FT_NDELAYS; i++)
		check(c->delay[i].lo_ns >= 0 &&
		      c->delay[i].lo_ns <= c->delay[i].hi_ns);
	check(c->timers == FT_TIMERS_OFF || c->timers == FT_TIMERS_WARP);
	check(c->timer_grace_ns >= 0);
	check_patterns(&c->sleep_only);
	check_patterns(&c->sleep_skip);
	for (i = 0; i < FT_NKNOBS; i++)
		check(terminated(c->text[i], FT_TEXT_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[INPUT_MAX + 1];
	static char entries[MAX_ENTRIES][INPUT_MAX + 16];
	char *envp[MAX_ENTRIES + 1];
	char err[512], *line, *nl;
	struct ft_config cfg;
	size_t n = 0;
	int rc;

	if (size > INPUT_MAX)
		return -1;	/* not kept in the corpus */
	memcpy(text, data, size);
	text[size] = '\0';
	/* An entry ends at the first NUL, as in a real environment. */
	for (line = text; line && n < MAX_ENTRIES; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (line[0] == '!')
			strcpy(entries[n], line + 1);
		else
			strcpy(stpcpy(entries[n], FT_ENV_PREFIX), line);
		envp[n] = entries[n];
		n++;
	}
	envp[n] = NULL;
	memset(err, 'x', sizeof(err));
	rc = ft_config_parse(&cfg, envp, err, sizeof(err));
	if (rc == 0) {
		check_config(&cfg);
	} else {
		check(rc == -1);
		check(terminated(err, sizeof(err)));
		check(strncmp(err, "flaketrap: ", 11) == 0);
		check(strchr(err, '\n') == NULL);
	}
	return 0;
}
