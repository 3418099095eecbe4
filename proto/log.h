/* SPDX-License-Identifier: MIT */
/* Log sink shared by proto, netd and spawn; proto itself only ever logs at debug level. */
#pragma once

#include <syslog.h>

#include "util.h"

/* Messages above this level (syslog numbering) are dropped. Default LOG_INFO. */
void log_set_max_level(int level);
int log_get_max_level(void);
/* Prefix each line with this identifier (borrowed: must outlive logging). */
void log_set_ident(const char *ident);

/*
 * Log at level; when error is non-zero its strerror() is appended.
 * Returns -abs(error) so callers can `return log_error_errno(r, ...)`.
 */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) (void)log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void)log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void)log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void)log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void)log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
