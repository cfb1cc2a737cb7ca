/* SPDX-License-Identifier: MIT */
/*
 * The options of `flaketrap run`, shared with loop and bisect: their
 * getopt table, their handling and their help. The environment they make
 * for CMD is environment.c's. See runopt.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../preload/fmt.h"
#include "commands.h"
#include "junk.h"
#include "leftovers.h"
#include "runopt.h"

/* Values of the options that are not knobs; knob i is FT_OPT_KNOB + i. */
enum {
	FT_OPT_FAIL_ON_LEAK = 0x10000,
	FT_OPT_KEEP_LOG,
	FT_OPT_GRACE,
	FT_OPT_JUNK,
	FT_OPT_ALLOW_UNLOADED,
	FT_OPT_KNOB = 0x10100,
};

static char knob_names[FT_NKNOBS][40];

void ft_runopt_init(struct ft_runopt *o)
{
	memset(o, 0, sizeof(*o));
	o->grace_text = FT_LEFTOVER_GRACE_DEFAULT;
	o->grace_ms = 2000;
	o->bare_switch = -1;
}

int ft_runopt_check_command(const struct ft_runopt *o, const char *cmd,
			    const char *name)
{
	if (o->bare_switch < 0 || (strcmp(name, "on") && strcmp(name, "off")))
		return 0;
	fprintf(stderr, "%s: --%s %s: a switch given alone is on, and '%s'"
			" would be the command: write --%s=%s\n", cmd,
		knob_names[o->bare_switch], name, name,
		knob_names[o->bare_switch], name);
	return FT_EXIT_TOOL_ERROR;
}

void ft_runopt_free(struct ft_runopt *o)
{
	size_t i;

	for (i = 0; i < o->nreplay; i++)
		free(o->replay[i]);
	o->nreplay = 0;
}

/* FLAKETRAP_SLEEP_MIN is --sleep-min. */
static void option_name(char *out, size_t len, const char *knob)
{
	size_t j;

	for (j = 0; knob[j] && j < len - 1; j++)
		out[j] = knob[j] == '_' ? '-' : ft_lower(knob[j]);
	out[j] = '\0';
}

static int switch_off(int knob)
{
	return ft_knobs[knob].kind == FT_KIND_SWITCH &&
	       strcmp(ft_knobs[knob].def, "off") == 0;
}

void ft_runopt_table(struct option *opts, size_t *n)
{
	int i;

	for (i = 0; i < FT_NKNOBS; i++) {
		option_name(knob_names[i], sizeof(knob_names[i]),
			    ft_knobs[i].name);
		/* A switch that is off by default: --chaos alone is on. */
		opts[(*n)++] = (struct option){
			knob_names[i],
			switch_off(i) ? optional_argument : required_argument,
			NULL, FT_OPT_KNOB + i };
	}
	opts[(*n)++] = (struct option){ "fail-on-leak", no_argument, NULL,
					FT_OPT_FAIL_ON_LEAK };
	opts[(*n)++] = (struct option){ "fail-env-changed", no_argument,
					NULL, FT_OPT_FAIL_ON_LEAK };
	opts[(*n)++] = (struct option){ "keep-log", no_argument, NULL,
					FT_OPT_KEEP_LOG };
	opts[(*n)++] = (struct option){ "grace", required_argument, NULL,
					FT_OPT_GRACE };
	opts[(*n)++] = (struct option){ "junk", no_argument, NULL,
					FT_OPT_JUNK };
	opts[(*n)++] = (struct option){ "allow-unloaded", no_argument, NULL,
					FT_OPT_ALLOW_UNLOADED };
}

static void keep_for_replay(struct ft_runopt *o, const char *name,
			    const char *arg)
{
	char *s;

	if (o->nreplay == FT_RUNOPT_REPLAY_MAX)
		return;
	if (asprintf(&s, arg ? "--%s=%s" : "--%s", name, arg) < 0) {
		perror("flaketrap");
		exit(FT_EXIT_TOOL_ERROR);
	}
	o->replay[o->nreplay++] = s;
}

int ft_runopt_unloaded(const struct ft_runopt *o, const char *cmd,
		       const char *what)
{
	if (o->allow_unloaded)
		return 0;
	fprintf(stderr, "%s: %s: no process loaded the library (a static"
			" program, or LD_PRELOAD cleared): nothing was"
			" injected nor checked; --allow-unloaded lets such a"
			" run pass\n", cmd, what);
	return FT_EXIT_TOOL_ERROR;
}

/*
 * A knob option's value, checked by the library's parser at once: an error
 * then names the option typed (--sleep=5), not the variable it sets.
 */
static int check_knob_option(int knob, const char *var, const char *arg,
			     const char *cmd)
{
	static struct ft_config cfg;	/* 28 KiB of pattern lists */
	char *env[2], err[1024], prefix[1024], quoted[1024];
	struct ft_buf b;
	size_t plen;
	int r;

	if (asprintf(&env[0], "%s=%s", var, arg) < 0) {
		perror(cmd);
		return -1;
	}
	env[1] = NULL;
	r = ft_config_parse(&cfg, env, err, sizeof(err));
	free(env[0]);
	if (r == 0)
		return 0;
	/* The parser's message is "flaketrap: VAR='value': why; expected". */
	ft_buf_init(&b, prefix, sizeof(prefix));
	ft_buf_str(&b, "flaketrap: ");
	ft_buf_str(&b, var);
	ft_buf_char(&b, '=');
	ft_buf_quoted(&b, arg);
	ft_buf_str(&b, ": ");
	plen = strlen(prefix);
	if (strncmp(err, prefix, plen) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	ft_buf_init(&b, quoted, sizeof(quoted));
	ft_buf_quoted(&b, arg);
	fprintf(stderr, "%s: --%s=%s: %s\n", cmd, knob_names[knob], quoted,
		err + plen);
	return -1;
}

int ft_runopt_handle(struct ft_runopt *o, int c, const char *arg,
		     const char *cmd)
{
	char name[64];
	int64_t ns;
	const char *why;

	if (c >= FT_OPT_KNOB && c < FT_OPT_KNOB + FT_NKNOBS) {
		snprintf(name, sizeof(name), FT_ENV_PREFIX "%s",
			 ft_knobs[c - FT_OPT_KNOB].name);
		if (!arg) {
			arg = "on";	/* a switch given alone */
			o->bare_switch = c - FT_OPT_KNOB;
		}
		if (check_knob_option(c - FT_OPT_KNOB, name, arg, cmd))
			return -1;
		setenv(name, arg, 1);
		return 1;
	}
	switch (c) {
	case FT_OPT_FAIL_ON_LEAK:
		if (!o->fail_on_leak)
			keep_for_replay(o, "fail-on-leak", NULL);
		o->fail_on_leak = 1;
		return 1;
	case FT_OPT_KEEP_LOG:
		o->keep_log = 1;
		return 1;
	case FT_OPT_JUNK:
		if (!o->junk)
			keep_for_replay(o, "junk", NULL);
		o->junk = 1;
		return 1;
	case FT_OPT_ALLOW_UNLOADED:
		if (!o->allow_unloaded)
			keep_for_replay(o, "allow-unloaded", NULL);
		o->allow_unloaded = 1;
		return 1;
	case FT_OPT_GRACE:
		if (ft_parse_duration(arg, &ns, &why)) {
			fprintf(stderr, "%s: --grace=%s: %s; expected DUR"
					" (1s, 500ms)\n", cmd, arg, why);
			return -1;
		}
		o->grace_text = arg;
		o->grace_ms = ns / 1000000;
		keep_for_replay(o, "grace", arg);
		return 1;
	}
	return 0;
}

int ft_parse_timeout(const char *cmd, const char *arg, int64_t *ns)
{
	const char *why = NULL;

	if (ft_parse_duration(arg, ns, &why) || *ns == 0) {
		fprintf(stderr, "%s: --timeout=%s: %s; expected DUR (10s,"
				" 500ms)\n", cmd, arg, why ? why : "zero");
		return -1;
	}
	return 0;
}

/*
 * The words of text (which may be given in parts) on lines of at most 80
 * columns, each indented by six spaces, then the suffix glued to the last
 * word; a word longer than a line stands alone. *col is the column
 * reached, 0 at a line's start.
 */
static void put_wrapped(FILE *f, const char *text, const char *suffix,
			int *col)
{
	const char *w = text, *end;
	int len, glued;

	for (;;) {
		while (*w == ' ')
			w++;
		if (!*w) {
			fputs(suffix, f);
			*col += (int)strlen(suffix);
			return;
		}
		end = strchr(w, ' ');
		len = end ? (int)(end - w) : (int)strlen(w);
		glued = end && end[strspn(end, " ")] ? 0 : (int)strlen(suffix);
		if (*col > 6 && *col + 1 + len + glued > 80) {
			fputc('\n', f);
			*col = 0;
		}
		if (*col == 0) {
			fputs("      ", f);
			*col = 6;
		} else {
			fputc(' ', f);
			(*col)++;
		}
		fprintf(f, "%.*s", len, w);
		*col += len;
		w += len;
	}
}

void ft_runopt_usage(FILE *f)
{
	char opt[40];
	int i, col;

	for (i = 0; i < FT_NKNOBS; i++) {
		option_name(opt, sizeof(opt), ft_knobs[i].name);
		fprintf(f, switch_off(i) ? "  --%s[=VALUE]\n" : "  --%s=VALUE\n",
			opt);
		col = 0;
		put_wrapped(f, ft_knobs[i].help, ".\n", &col);
		col = 0;
		put_wrapped(f, "Expected:", "", &col);
		put_wrapped(f, ft_knobs[i].form, ";", &col);
		if (switch_off(i))
			put_wrapped(f, "alone: on;", "", &col);
		put_wrapped(f, "default:", "", &col);
		put_wrapped(f, ft_knobs[i].def[0] ? ft_knobs[i].def : "unset",
			    ".\n", &col);
	}
	fprintf(f,
"  --fail-on-leak, --fail-env-changed\n"
"      exit 3 when CMD exits 0 but a process of its tree leaked a child or\n"
"      a thread, or left a process running after CMD ended.\n"
"  --keep-log\n"
"      keep the temporary log directory made when no --log is given,\n"
"      and print where it is.\n"
"  --junk\n"
"      jemalloc (" FT_JEMALLOC_NAME ") as CMD's allocator, with junk filling\n"
"      (MALLOC_CONF=junk:true added to yours): memory used after free\n"
"      holds junk, so a use after free at exit crashes instead of reading\n"
"      stale values. Found beside libc, or at $FLAKETRAP_JEMALLOC.\n"
"  --grace=DUR\n"
"      how long a process left running after CMD has to end after\n"
"      SIGTERM, before SIGKILL; default: 2s.\n"
"  --allow-unloaded\n"
"      a run in which no process loaded the library (a static program, Go,\n"
"      one that clears LD_PRELOAD) passes with CMD's status; without it,\n"
"      such a run is an error (125): nothing was injected nor checked.\n");
}

void ft_runopt_usage_names(FILE *f)
{
	struct option opts[FT_RUNOPT_ENTRIES];
	size_t col = 0, len, n = 0, i;

	ft_runopt_table(opts, &n);
	for (i = 0; i < n; i++) {
		len = strlen(opts[i].name) + 2;
		if (col && col + 1 + len > 78) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%s--%s", col ? " " : "  ", opts[i].name);
		col += len + 1;
	}
	fputc('\n', f);
}
