/* SPDX-License-Identifier: MIT */
/*
 * The report for CI: JUnit XML (report --junit) and GitHub's workflow
 * annotations (report --github).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../junit.h"
#include "group.h"
#include "ci.h"

/*
 * One JUnit test case per distinct leak or crash (a failure holding its
 * text, as report prints it), one for the logs that could not be read;
 * a single passing case when there is neither.
 */
int ft_report_junit(const char *path, const struct ft_report *r,
		    struct ft_symbolizer *s)
{
	long long tests = 0, failures = 0;
	char *text, *name, *nl;
	size_t len, i;
	FILE *cases = tmpfile(), *m;
	int ret;

	if (!cases)
		return -1;
	for (i = 0; i < r->ngroups; i++) {
		m = open_memstream(&text, &len);
		if (!m)
			ft_report_oom();
		ft_report_text_group(m, &r->groups[i], s);
		fclose(m);
		name = text + strspn(text, "\n");
		nl = strchr(name, '\n');
		if (nl)
			*nl = '\0';
		ft_junit_case(cases, "flaketrap.report", name, 0, name,
			      text, len);
		free(text);
		tests++;
		failures++;
	}
	if (r->l->skipped) {
		if (asprintf(&text, "%zu unreadable (flaketrap report names"
				    " each on stderr)", r->l->skipped) < 0)
			ft_report_oom();
		ft_junit_case(cases, "flaketrap.report", "every log read whole",
			      0, text, NULL, 0);
		free(text);
		tests++;
		failures++;
	}
	if (!tests) {
		ft_junit_case(cases, "flaketrap.report", "no leak, no crash",
			      0, NULL, NULL, 0);
		tests++;
	}
	ret = ft_junit_write(path, "flaketrap report", tests, failures, 0,
			     cases);
	fclose(cases);
	return ret;
}

/* s for a GitHub workflow command: '%', CR and LF escaped, and in a
 * property also ':' and ','. */
static void github_text(FILE *f, const char *s, size_t len, int property)
{
	for (; len; s++, len--) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else if (property && *s == ':')
			fputs("%3A", f);
		else if (property && *s == ',')
			fputs("%2C", f);
		else
			fputc(*s, f);
	}
}

/*
 * One GitHub Actions annotation per distinct leak or crash, at the first
 * frame of its backtrace with a source line (a path under
 * $GITHUB_WORKSPACE made relative to it, as GitHub wants): an error with
 * --fail-on-leak or for a crash, else a warning.
 */
void ft_report_github(FILE *f, const struct ft_report *r,
		      struct ft_symbolizer *s, int fail_on_leak)
{
	const char *ws = getenv("GITHUB_WORKSPACE"), *file;
	const struct ft_json *bt, *fr;
	struct ft_source src;
	char *text, *title, *nl;
	size_t len, i, k, wslen = ws ? strlen(ws) : 0;
	FILE *m;

	for (i = 0; i < r->ngroups; i++) {
		const struct group *g = &r->groups[i];

		m = open_memstream(&text, &len);
		if (!m)
			ft_report_oom();
		ft_report_text_group(m, g, s);
		fclose(m);
		title = text + strspn(text, "\n");
		nl = strchr(title, '\n');
		fprintf(f, "::%s ", fail_on_leak || !strcmp(g->event, "crash")
					   ? "error" : "warning");
		bt = ft_json_get(g->recs[0]->json, "backtrace");
		memset(&src, 0, sizeof(src));
		for (fr = bt ? bt->first : NULL, k = 0; fr; fr = fr->next, k++)
			if (ft_report_lookup(fr, k > 0, s, &src) && src.file)
				break;
		if (src.file) {
			file = src.file;
			if (wslen && !strncmp(file, ws, wslen) &&
			    file[wslen] == '/')
				file += wslen + 1;
			fputs("file=", f);
			github_text(f, file, strlen(file), 1);
			fprintf(f, ",line=%d,", src.line);
		}
		fputs("title=flaketrap%3A ", f);
		github_text(f, title, nl ? (size_t)(nl - title) : strlen(title),
			    1);
		fputs("::", f);
		github_text(f, title, strlen(title), 0);
		fputc('\n', f);
		free(text);
	}
}

