/* SPDX-License-Identifier: MIT */
/*
 * Line builder used by the log and the error messages. Everything here is
 * async-signal-safe: it only writes into the caller's buffer.
 */
#include <string.h>

#include "fmt.h"

void ft_buf_init(struct ft_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->full = 0;
	if (cap)
		mem[0] = '\0';
}

/*
 * Texts are measured and short ones copied here, not by libc's strlen and
 * memcpy (nor by calls to them the compiler would make of these loops): a
 * fork child that writes its start and exit records then runs no page of
 * libc's for them, each of which costs it a fault of the hypervisor's on
 * a VM (docs/development.md, "What a fork costs"). Long ones (the exit
 * scan's frames) go to memcpy. As fast as libc's for the short texts of
 * records (a string measured as it is copied, in one pass).
 */
#define FT_BUF_SHORT 1024

__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void copy_short(char *d, const char *s, size_t n)
{
	/* Eight bytes a move (a constant size: no call). */
	for (; n >= 8; n -= 8, d += 8, s += 8)
		__builtin_memcpy(d, s, 8);
	while (n--)
		*d++ = *s++;
}

void ft_buf_mem(struct ft_buf *b, const char *s, size_t n)
{
	size_t room;

	if (b->cap == 0) {
		b->full = 1;
		return;
	}
	room = b->cap - 1 - b->len;
	if (n > room) {
		n = room;
		b->full = 1;
	}
	if (n > FT_BUF_SHORT)
		memcpy(b->p + b->len, s, n);
	else
		copy_short(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ft_buf_str(struct ft_buf *b, const char *s)
{
	size_t room, i = 0;
	char *d;

	if (b->cap == 0) {
		b->full = 1;
		return;
	}
	/* Measured as copied: one pass. */
	room = b->cap - 1 - b->len;
	d = b->p + b->len;
	while (s[i] && i < room) {
		d[i] = s[i];
		i++;
	}
	if (s[i])
		b->full = 1;
	b->len += i;
	b->p[b->len] = '\0';
}

void ft_buf_char(struct ft_buf *b, char c)
{
	ft_buf_mem(b, &c, 1);
}

void ft_buf_u64(struct ft_buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ft_buf_mem(b, tmp + i, sizeof(tmp) - i);
}

void ft_buf_i64(struct ft_buf *b, int64_t v)
{
	if (v < 0) {
		ft_buf_char(b, '-');
		/* -(v+1)+1 avoids overflowing on INT64_MIN */
		ft_buf_u64(b, (uint64_t)-(v + 1) + 1);
	} else {
		ft_buf_u64(b, (uint64_t)v);
	}
}

static const char hex[] = "0123456789abcdef";

void ft_buf_hex(struct ft_buf *b, uint64_t v)
{
	char tmp[18];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	ft_buf_mem(b, tmp + i, sizeof(tmp) - i);
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void ft_buf_json(struct ft_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t n;

	ft_buf_char(b, '"');
	while (*u) {
		if (*u == '"' || *u == '\\') {
			ft_buf_char(b, '\\');
			ft_buf_char(b, (char)*u++);
		} else if (*u == '\n') {
			ft_buf_str(b, "\\n");
			u++;
		} else if (*u == '\t') {
			ft_buf_str(b, "\\t");
			u++;
		} else if (*u < 0x20 || *u == 0x7f) {
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 15];
			ft_buf_mem(b, esc, 6);
			u++;
		} else if (*u < 0x80) {
			ft_buf_char(b, (char)*u++);
		} else if ((n = utf8_len(u)) != 0) {
			ft_buf_mem(b, (const char *)u, n);
			u += n;
		} else {
			/*
			 * Not UTF-8: the byte as a lone low surrogate,
			 * U+DC80..U+DCFF (Python's surrogateescape, PEP 383),
			 * which no UTF-8 text can hold: as U+00XX it would
			 * read as a real character. Python's json.loads then
			 * os.fsencode give the bytes back; so do our tools.
			 */
			ft_buf_str(b, "\\udc");
			ft_buf_char(b, hex[*u >> 4]);
			ft_buf_char(b, hex[*u & 15]);
			u++;
		}
	}
	ft_buf_char(b, '"');
}

void ft_buf_quoted(struct ft_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[4] = { '\\', 'x', 0, 0 };

	ft_buf_char(b, '\'');
	for (; *u; u++) {
		if (*u >= 0x20 && *u < 0x7f && *u != '\\' && *u != '\'') {
			ft_buf_char(b, (char)*u);
		} else {
			esc[2] = hex[*u >> 4];
			esc[3] = hex[*u & 15];
			ft_buf_mem(b, esc, 4);
		}
	}
	ft_buf_char(b, '\'');
}
