/* SPDX-License-Identifier: MIT */
/* UTF-8 validation (RFC 3629, table 3-7 of the Unicode standard). */
#include <stdbool.h>

#include "utf8.h"

static bool cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t utf8_char_len(const char *str)
{
	/* NUL is not a continuation byte: each && chain stops at the terminator. */
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return cont(s[1]) ? 2 : 0;
	if (c == 0xe0)
		return s[1] >= 0xa0 && s[1] <= 0xbf && cont(s[2]) ? 3 : 0;
	if (c == 0xed) /* U+D800..U+DFFF are surrogates, not characters */
		return s[1] >= 0x80 && s[1] <= 0x9f && cont(s[2]) ? 3 : 0;
	if (c >= 0xe1 && c <= 0xef)
		return cont(s[1]) && cont(s[2]) ? 3 : 0;
	if (c == 0xf0)
		return s[1] >= 0x90 && s[1] <= 0xbf && cont(s[2]) && cont(s[3]) ? 4 : 0;
	if (c >= 0xf1 && c <= 0xf3)
		return cont(s[1]) && cont(s[2]) && cont(s[3]) ? 4 : 0;
	if (c == 0xf4)
		return s[1] >= 0x80 && s[1] <= 0x8f && cont(s[2]) && cont(s[3]) ? 4 : 0;
	return 0;
}
