/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the log reader of `flaketrap report`. The input is the
 * contents of one log file: split into lines, each parsed (tools/json.c),
 * checked against the schema (tools/schema.c) and kept (tools/logs/),
 * then grouped and printed as text and as JSON (tools/report/), without
 * symbolizer (no module named in the input is opened). The JSON report
 * must parse again.
 *
 * The fuzz build makes the line limit and the read chunk small
 * (FT_LOG_LINE_MAX, FT_LOG_READ_CHUNK) so that overlong lines and lines
 * across chunks are reached.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "logs.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_json *back;
	struct ft_report *r;
	struct ft_logs l;
	char *out = NULL, err[256];
	size_t len = 0;
	FILE *f;

	ft_logs_init(&l, "fuzz-log");
	ft_logs_add_buffer(&l, "run/prog.42.jsonl", (const char *)data, size);
	r = ft_report_build(&l);
	f = fopen("/dev/null", "w");
	if (!f)
		abort();
	ft_report_text(f, r, NULL);
	fclose(f);
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	ft_report_json(f, r, NULL);
	if (fclose(f))
		abort();
	back = ft_json_parse(out, len, err, sizeof(err));
	if (!back) {
		fprintf(stderr, "fuzz-log: the JSON report does not parse: "
			"%s\n%s", err, out);
		abort();
	}
	ft_json_free(back);
	free(out);
	ft_report_free(r);
	ft_logs_free(&l);
	return 0;
}
