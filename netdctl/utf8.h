/* SPDX-License-Identifier: MIT */
/* UTF-8 validation, shared by the JSON escaper and the terminal output. */
#pragma once

#include <stddef.h>

/*
 * Length (1-4) of the valid UTF-8 character at s, or 0 when the bytes there are not one
 * (stray continuation byte, overlong form, surrogate, past U+10FFFF, truncated; RFC 3629).
 * s must be NUL-terminated and not at its NUL; no byte past the terminator is read.
 */
size_t utf8_char_len(const char *s);
