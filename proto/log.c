/* SPDX-License-Identifier: MIT */
/* Log sink: one line per message on stderr, with the sd-daemon "<N>" level prefix when stderr
 * is the journal so levels survive, plain "ident: " otherwise. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *ident = NULL;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_ident(const char *s)
{
	ident = s;
}

/* JOURNAL_STREAM names the device:inode of stderr when systemd connected it to the journal. */
static int stderr_is_journal(void)
{
	static int cached = -1;
	const char *e;
	unsigned long dev, ino;
	struct stat st;

	if (cached >= 0)
		return cached;
	cached = 0;
	e = getenv("JOURNAL_STREAM");
	if (e && sscanf(e, "%lu:%lu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0)
		cached = st.st_dev == dev && st.st_ino == ino;
	return cached;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	int saved = errno;
	char msg[2048];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > max_level)
		goto out;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (stderr_is_journal())
		fprintf(stderr, "<%d>", level);
	else if (ident)
		fprintf(stderr, "%s: ", ident);
	if (error)
		fprintf(stderr, "%s: %s\n", msg, strerror(error));
	else
		fprintf(stderr, "%s\n", msg);
out:
	errno = saved;
	return -error;
}
