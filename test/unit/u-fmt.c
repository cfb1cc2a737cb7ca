/* SPDX-License-Identifier: MIT */
/* Unit tests of the line builder (preload/fmt.c), also from a signal
 * handler, where the log uses it. */
#include <signal.h>
#include <string.h>

#include "fmt.h"
#include "tap.h"

static char handler_out[64];

static void in_handler(int sig)
{
	struct ft_buf b;

	ft_buf_init(&b, handler_out, sizeof(handler_out));
	ft_buf_str(&b, "sig=");
	ft_buf_i64(&b, sig);
	ft_buf_char(&b, ' ');
	ft_buf_json(&b, "a\"b");
}

/* Texts of every length around the one where copies go from byte by byte
 * to memcpy (fmt.c), whole and cut at the buffer's end. */
static void lengths(void)
{
	static char src[3000], big[3000];
	struct ft_buf b;
	size_t n, bad = 0, i;

	for (i = 0; i < sizeof(src) - 1; i++)
		src[i] = (char)('a' + i % 26);
	for (n = 1000; n < 1050; n++) {
		ft_buf_init(&b, big, sizeof(big));
		ft_buf_char(&b, '<');
		ft_buf_mem(&b, src, n);
		ft_buf_char(&b, '>');
		bad += b.len != n + 2 || big[0] != '<' || big[n + 1] != '>' ||
		       big[n + 2] != '\0' || memcmp(big + 1, src, n) != 0;
		ft_buf_init(&b, big, n);
		ft_buf_str(&b, src);
		bad += b.len != n - 1 || !b.full || big[n - 1] != '\0' ||
		       memcmp(big, src, n - 1) != 0;
	}
	ok(bad == 0, "texts of 1000-1050 bytes copied whole, or cut at the end");
}

int main(void)
{
	char mem[64], tiny[5];
	struct ft_buf b;

	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_u64(&b, 0);
	ft_buf_char(&b, ' ');
	ft_buf_u64(&b, UINT64_MAX);
	is_str(mem, "0 18446744073709551615", "unsigned bounds");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_i64(&b, INT64_MIN);
	ft_buf_char(&b, ' ');
	ft_buf_i64(&b, -1);
	is_str(mem, "-9223372036854775808 -1", "signed bounds");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_hex(&b, 0);
	ft_buf_char(&b, ' ');
	ft_buf_hex(&b, 0x7f3a00c0ffeeULL);
	ft_buf_char(&b, ' ');
	ft_buf_hex(&b, UINT64_MAX);
	is_str(mem, "0x0 0x7f3a00c0ffee 0xffffffffffffffff", "hex");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_json(&b, "q\"b\\n\n\t\x01\x7f");
	is_str(mem, "\"q\\\"b\\\\n\\n\\t\\u0001\\u007f\"", "JSON escapes");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_json(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	is_str(mem, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	       "valid UTF-8 kept");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_json(&b, "\xff\xc3(\xed\xa0\x80");
	is_str(mem, "\"\\udcff\\udcc3(\\udced\\udca0\\udc80\"",
	       "invalid UTF-8 and surrogates escaped as U+DC80..U+DCFF");
	ft_buf_init(&b, mem, sizeof(mem));
	ft_buf_quoted(&b, "a b'\\\n\xe9");
	is_str(mem, "'a b\\x27\\x5c\\x0a\\xe9'", "quoted for humans");
	ft_buf_init(&b, tiny, sizeof(tiny));
	ft_buf_str(&b, "abcdef");
	is_str(tiny, "abcd", "cut at capacity");
	ok(b.full, "cut is flagged");
	ft_buf_init(&b, tiny, sizeof(tiny));
	ft_buf_str(&b, "abcd");
	ok(!b.full, "exact fit is not a cut");
	signal(SIGUSR1, in_handler);
	raise(SIGUSR1);
	is_str(handler_out, "sig=10 \"a\\\"b\"", "works in a signal handler");
	lengths();
	return done_testing();
}
