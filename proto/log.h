/* SPDX-License-Identifier: MIT */
/*
 * Log sink shared by proto, netd and spawn; proto itself only ever logs at debug level. Under
 * journald messages carry structured fields (journalctl -u netd CONTAINER=web); elsewhere they
 * are plain stderr lines.
 */
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

/* "err", "warning", "notice", "info", "debug" -> LOG_*; -EINVAL for anything else. */
int log_parse_level(const char *s);

/* Journal fields of a message about a container (any may be NULL / 0). */
struct log_fields {
	const char *container;  /* CONTAINER= */
	const char *ifname;     /* IFNAME= */
	const char *message_id; /* MESSAGE_ID=, 32 hex digits */
	int netlink_errno;      /* NETLINK_ERRNO=, the kernel's (positive) errno */
};

/* log_internal() with journal fields f (may be NULL). */
int log_fields_internal(int level, int error, const struct log_fields *f, const char *fmt, ...)
	_printf_(4, 5);

#define log_debug(...) (void)log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void)log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void)log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void)log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void)log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
