/* SPDX-License-Identifier: MIT */
/* NULL-terminated string vectors (char **), owned with their strings. */
#pragma once

#include <stddef.h>

#include "util.h"

/* Entries before the NULL; 0 for a NULL vector. */
size_t strv_length(char *const *l);
/* Free the strings and the vector. Accepts NULL; returns NULL. */
char **strv_free(char **l);
/* Append a copy of s (the vector is created when *l is NULL). Returns 0 or -ENOMEM, *l then
 * unchanged. */
int strv_extend(char ***l, const char *s) _must_check_;
