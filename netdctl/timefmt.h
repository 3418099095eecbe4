/* SPDX-License-Identifier: MIT */
/*
 * Time stamps as netdctl shows them: local wall-clock time, systemd-style relative spans
 * ("5min ago"), and ISO 8601 for JSON. Pure apart from the time zone (TZ / localtime): the
 * current time is always passed in, so tests can fix it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USEC_PER_SEC UINT64_C(1000000)

/* CLOCK_REALTIME in microseconds. */
uint64_t timefmt_now(void);

/*
 * The span between then and now as systemctl shows it: "now", "350ms ago", "42s ago",
 * "1min 5s ago", "12min ago", "2h 5min ago", "7h ago", "1 day 3h ago", "3 days ago",
 * "2 weeks 1 day ago", "3 months 2 days ago", "1 year 2 months ago" (two units at most, the
 * second only where it matters; a month is 30.44 days and a year 365.25, as in systemd).
 * A then after now (the clock was stepped back) reads "... left". Returns buf (truncated to
 * len).
 */
const char *timefmt_relative(char *buf, size_t len, uint64_t now_usec, uint64_t then_usec);

/*
 * usec as local time: "2026-11-28 07:30:12", or with long set "Sat 2026-11-28 07:30:12 CET".
 * Returns buf, or NULL when the time cannot be converted (buf then holds "").
 */
const char *timefmt_local(char *buf, size_t len, uint64_t usec, bool long_form);

/* usec as ISO 8601 UTC with microseconds: "2026-11-28T07:30:12.123456Z". Returns buf, or
 * NULL as above. */
const char *timefmt_iso8601(char *buf, size_t len, uint64_t usec);
