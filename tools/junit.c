/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "junit.h"

/* The length of the UTF-8 sequence at p (of at most n bytes) that XML
 * 1.0 can hold, else 0: no control character but tab, CR and LF, and
 * neither U+FFFE nor U+FFFF. */
static size_t xml_char(const unsigned char *p, size_t n)
{
	size_t len = ft_utf8_len(p, p + n);

	if (len == 1)
		return p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' ||
		       p[0] == '\r';
	if (len == 3 && p[0] == 0xef && p[1] == 0xbf &&
	    (p[2] == 0xbe || p[2] == 0xbf))
		return 0;
	return len;
}

void ft_junit_text(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (len) {
		n = xml_char(p, len);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			n = 1;
		} else if (*p == '&') {
			fputs("&amp;", f);
		} else if (*p == '<') {
			fputs("&lt;", f);
		} else if (*p == '>') {
			fputs("&gt;", f);
		} else if (*p == '"') {
			fputs("&quot;", f);
		} else if (*p == '\n' || *p == '\r' || *p == '\t') {
			/* Kept in bodies; in attributes, references keep
			 * them from being read as spaces. */
			fprintf(f, "&#%d;", *p);
		} else {
			fwrite(p, 1, n, f);
		}
		p += n;
		len -= n;
	}
}

void ft_junit_case(FILE *f, const char *classname, const char *name,
		   double seconds, const char *failure, const char *body,
		   size_t body_len)
{
	fputs("    <testcase classname=\"", f);
	ft_junit_text(f, classname, strlen(classname));
	fputs("\" name=\"", f);
	ft_junit_text(f, name, strlen(name));
	fprintf(f, "\" time=\"%.3f\"", seconds);
	if (!failure) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <failure message=\"", f);
	ft_junit_text(f, failure, strlen(failure));
	fputs("\" type=\"flaketrap\">", f);
	if (body)
		ft_junit_text(f, body, body_len);
	fputs("</failure>\n    </testcase>\n", f);
}

int ft_junit_write(const char *path, const char *name, long long tests,
		   long long failures, double seconds, FILE *cases)
{
	char *tmp, buf[8192];
	size_t n;
	FILE *f;
	int err = 0;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -1;
	f = fopen(tmp, "w");
	if (!f) {
		err = errno;
		free(tmp);
		errno = err;
		return -1;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites tests=\"%lld\" failures=\"%lld\" errors=\"0\""
		   " time=\"%.3f\">\n", tests, failures, seconds);
	fputs("  <testsuite name=\"", f);
	ft_junit_text(f, name, strlen(name));
	fprintf(f, "\" tests=\"%lld\" failures=\"%lld\" errors=\"0\""
		   " skipped=\"0\" time=\"%.3f\">\n", tests, failures, seconds);
	if (cases) {
		fflush(cases);
		rewind(cases);
		while ((n = fread(buf, 1, sizeof(buf), cases)) > 0)
			fwrite(buf, 1, n, f);
		if (ferror(cases))
			err = errno ? errno : EIO;
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	if (fflush(f) || ferror(f))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path) != 0)
		err = errno;
	if (err)
		unlink(tmp);
	free(tmp);
	errno = err;
	return err ? -1 : 0;
}
