/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect -i CASES -- CMD... {}`: the items are the lines of
 * CASES (test cases), and a subset reaches CMD as a file of cases, one a
 * line, whose path takes the place of each {} in CMD, as CPython's
 * test.bisect_cmd does. The result is the subset itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct cases {
	char list[PATH_MAX + 16];	/* the file a subset is written to */
	char **argv;			/* CMD with {} replaced, allocated */
};

static int read_cases(struct ft_bisect *b, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			ft_bisect_add(b, line);
	}
	free(line);
	fclose(f);
	if (b->nitems == 0) {
		fprintf(stderr, "flaketrap bisect: %s: no case in it (one a"
				" line)\n", path);
		return -1;
	}
	return 0;
}

/* CMD with each {} replaced by the path of the case file. */
static int substitute(struct ft_bisect *b, struct cases *c)
{
	size_t i, n;
	int found = 0;

	for (n = 0; b->argv[n]; n++)
		;
	c->argv = calloc(n + 1, sizeof(*c->argv));
	if (!c->argv)
		ft_bisect_oom();
	for (i = 0; i < n; i++) {
		const char *s = b->argv[i], *p;
		char *buf = NULL;
		size_t len;
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			ft_bisect_oom();
		while ((p = strstr(s, "{}"))) {
			fwrite(s, 1, (size_t)(p - s), f);
			fputs(c->list, f);
			s = p + 2;
			found = 1;
		}
		fputs(s, f);
		if (fclose(f))
			ft_bisect_oom();
		c->argv[i] = buf;
	}
	b->argv = c->argv;
	if (!found) {
		fprintf(stderr, "flaketrap bisect: no {} in CMD: the cases"
				" would not reach it (put {} where CMD takes"
				" the file of cases)\n");
		return -1;
	}
	return 0;
}

static int check(struct ft_bisect *b)
{
	if (!*b->input) {
		fprintf(stderr, "flaketrap bisect: no case file given (-i"
				" CASES)\nTry 'flaketrap bisect --help'.\n");
		return -1;
	}
	return 0;
}

static int setup(struct ft_bisect *b)
{
	struct cases *c = calloc(1, sizeof(*c));

	if (!c)
		ft_bisect_oom();
	b->data = c;
	if (read_cases(b, b->input))
		return -1;
	snprintf(c->list, sizeof(c->list), "%s/cases", b->tmp);
	return substitute(b, c);
}

static int select_cases(struct ft_bisect *b, const size_t *idx, size_t n)
{
	const struct cases *c = b->data;

	return ft_bisect_write(b, c->list, idx, n);
}

static void whole_passes(struct ft_bisect *b)
{
	(void)b;
	fprintf(stderr, "flaketrap bisect: the whole list does not fail:"
			" nothing to bisect\n");
}

static void print(struct ft_bisect *b, const size_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\n", b->items[idx[i]]);
}

static void free_cases(struct ft_bisect *b)
{
	struct cases *c = b->data;
	size_t i;

	if (!c)
		return;
	for (i = 0; c->argv && c->argv[i]; i++)
		free(c->argv[i]);
	free(c->argv);
	free(c);
}

const struct ft_bisect_mode ft_bisect_cases = {
	.noun = "cases",
	.check = check,
	.setup = setup,
	.select = select_cases,
	.whole_passes = whole_passes,
	.print = print,
	.free = free_cases,
};
