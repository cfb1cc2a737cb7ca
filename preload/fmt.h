/* SPDX-License-Identifier: MIT */
/*
 * A tiny line builder for log records and messages: appends text, numbers
 * and JSON strings to a caller's buffer. No allocation, no locale, no stdio:
 * async-signal-safe. Output that does not fit is cut and `full` is set; the
 * buffer is always NUL-terminated.
 */
#ifndef FT_FMT_H
#define FT_FMT_H

#include <stddef.h>
#include <stdint.h>

struct ft_buf {
	char *p;
	size_t len;
	size_t cap;	/* bytes in p, including the final NUL */
	int full;
};

void ft_buf_init(struct ft_buf *b, char *mem, size_t cap);
void ft_buf_str(struct ft_buf *b, const char *s);
void ft_buf_mem(struct ft_buf *b, const char *s, size_t n);
void ft_buf_char(struct ft_buf *b, char c);
void ft_buf_u64(struct ft_buf *b, uint64_t v);
void ft_buf_i64(struct ft_buf *b, int64_t v);
/* v as 0x followed by lower-case hex digits, no leading zeros. */
void ft_buf_hex(struct ft_buf *b, uint64_t v);
/* s as a JSON string, quotes included; bytes >= 0x80 pass through as UTF-8
 * when valid, else as \u00XX of the byte. */
void ft_buf_json(struct ft_buf *b, const char *s);
/* s quoted for a human: printable ASCII as is, anything else \xNN. */
void ft_buf_quoted(struct ft_buf *b, const char *s);

#endif
