/* SPDX-License-Identifier: MIT */
/* die(): one message, the cleanup hook, exit status 1. */
#include <stdarg.h>

#include "die.h"

static void (*cleanup)(void);

void die_set_cleanup(void (*fn)(void))
{
	cleanup = fn;
}

static _Noreturn void vdie(int r, const char *fmt, va_list ap)
{
	void (*fn)(void) = cleanup;

	fputs("spawn: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (r)
		fprintf(stderr, ": %s", strerror(r < 0 ? -r : r));
	fputc('\n', stderr);
	cleanup = NULL;
	if (fn)
		fn();
	exit(1);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(0, fmt, ap);
}

void die_errno(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(r, fmt, ap);
}
