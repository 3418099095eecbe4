/* SPDX-License-Identifier: MIT */
/* Time stamps for people (local time, relative spans) and for scripts (ISO 8601). */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

#define USEC_PER_MSEC	UINT64_C(1000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR	(UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY	(UINT64_C(24) * USEC_PER_HOUR)
#define USEC_PER_WEEK	(UINT64_C(7) * USEC_PER_DAY)
#define USEC_PER_MONTH	(UINT64_C(2629800) * USEC_PER_SEC)
#define USEC_PER_YEAR	(UINT64_C(31557600) * USEC_PER_SEC)

uint64_t timefmt_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000u;
}

/* "N unit" or "N units" for the spelled-out units. */
static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* d as one or two units, systemd's format_timestamp_relative() thresholds. */
static void span(char *buf, size_t len, uint64_t d, const char *suffix)
{
	uint64_t a, b;

	if (d >= USEC_PER_YEAR) {
		a = d / USEC_PER_YEAR;
		b = (d % USEC_PER_YEAR) / USEC_PER_MONTH;
		if (b)
			snprintf(buf, len, "%" PRIu64 " year%s %" PRIu64 " month%s %s", a,
				 plural(a), b, plural(b), suffix);
		else
			snprintf(buf, len, "%" PRIu64 " year%s %s", a, plural(a), suffix);
	} else if (d >= USEC_PER_MONTH) {
		a = d / USEC_PER_MONTH;
		b = (d % USEC_PER_MONTH) / USEC_PER_DAY;
		snprintf(buf, len, "%" PRIu64 " month%s %" PRIu64 " day%s %s", a, plural(a), b,
			 plural(b), suffix);
	} else if (d >= USEC_PER_WEEK) {
		a = d / USEC_PER_WEEK;
		b = (d % USEC_PER_WEEK) / USEC_PER_DAY;
		snprintf(buf, len, "%" PRIu64 " week%s %" PRIu64 " day%s %s", a, plural(a), b,
			 plural(b), suffix);
	} else if (d >= 2 * USEC_PER_DAY) {
		snprintf(buf, len, "%" PRIu64 " days %s", d / USEC_PER_DAY, suffix);
	} else if (d >= 25 * USEC_PER_HOUR) {
		snprintf(buf, len, "1 day %" PRIu64 "h %s", (d - USEC_PER_DAY) / USEC_PER_HOUR,
			 suffix);
	} else if (d >= 6 * USEC_PER_HOUR) {
		snprintf(buf, len, "%" PRIu64 "h %s", d / USEC_PER_HOUR, suffix);
	} else if (d >= USEC_PER_HOUR) {
		snprintf(buf, len, "%" PRIu64 "h %" PRIu64 "min %s", d / USEC_PER_HOUR,
			 (d % USEC_PER_HOUR) / USEC_PER_MINUTE, suffix);
	} else if (d >= 5 * USEC_PER_MINUTE) {
		snprintf(buf, len, "%" PRIu64 "min %s", d / USEC_PER_MINUTE, suffix);
	} else if (d >= USEC_PER_MINUTE) {
		snprintf(buf, len, "%" PRIu64 "min %" PRIu64 "s %s", d / USEC_PER_MINUTE,
			 (d % USEC_PER_MINUTE) / USEC_PER_SEC, suffix);
	} else if (d >= USEC_PER_SEC) {
		snprintf(buf, len, "%" PRIu64 "s %s", d / USEC_PER_SEC, suffix);
	} else if (d >= USEC_PER_MSEC) {
		snprintf(buf, len, "%" PRIu64 "ms %s", d / USEC_PER_MSEC, suffix);
	} else if (d > 0) {
		snprintf(buf, len, "%" PRIu64 "us %s", d, suffix);
	} else {
		snprintf(buf, len, "now");
	}
}

const char *timefmt_relative(char *buf, size_t len, uint64_t now_usec, uint64_t then_usec)
{
	if (then_usec <= now_usec)
		span(buf, len, now_usec - then_usec, "ago");
	else
		span(buf, len, then_usec - now_usec, "left");
	return buf;
}

/* usec -> broken-down time, local or UTC; false when it does not fit. */
static bool to_tm(uint64_t usec, bool utc, struct tm *ret)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);

	if ((uint64_t)t != usec / USEC_PER_SEC)
		return 0;
	return (utc ? gmtime_r(&t, ret) : localtime_r(&t, ret)) != NULL;
}

const char *timefmt_local(char *buf, size_t len, uint64_t usec, bool long_form)
{
	struct tm tm;

	if (len)
		buf[0] = '\0';
	if (!to_tm(usec, false, &tm) ||
	    strftime(buf, len, long_form ? "%a %Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm) ==
		0)
		return NULL;
	return buf;
}

const char *timefmt_iso8601(char *buf, size_t len, uint64_t usec)
{
	char sec[32];
	struct tm tm;
	int n;

	if (len)
		buf[0] = '\0';
	if (!to_tm(usec, true, &tm) || strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	n = snprintf(buf, len, "%s.%06" PRIu64 "Z", sec, usec % USEC_PER_SEC);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return NULL;
	}
	return buf;
}
