/* SPDX-License-Identifier: MIT */
/*
 * Log sink. Under journald (stderr is the journal stream systemd set up), each message goes to
 * the journal natively with its structured fields (CONTAINER=, IFNAME=, ...), falling back to
 * a "<N>"-prefixed stderr line when the journal cannot be reached; otherwise one plain
 * "ident: message" line on stderr.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

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

int log_parse_level(const char *s)
{
	static const char *const names[] = { [LOG_ERR] = "err",	    [LOG_WARNING] = "warning",
					     [LOG_NOTICE] = "notice", [LOG_INFO] = "info",
					     [LOG_DEBUG] = "debug" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

#define FIELDS_MAX 8

static void field(struct iovec *iov, char bufs[][160], size_t *n, const char *key,
		  const char *value)
{
	if (!value || !*value || *n >= FIELDS_MAX)
		return;
	(void)snprintf(bufs[*n], sizeof(bufs[*n]), "%s=%s", key, value);
	iov[*n] = (struct iovec){ .iov_base = bufs[*n], .iov_len = strlen(bufs[*n]) };
	(*n)++;
}

/* Returns 0 when the journal took the message. */
static int to_journal(int level, int error, const struct log_fields *f, const char *msg)
{
	struct iovec iov[FIELDS_MAX + 2];
	char bufs[FIELDS_MAX][160], prio[16], err[16];
	_cleanup_free_ char *message = NULL;
	size_t n = 0;

	if (asprintf(&message, "MESSAGE=%s%s%s", msg, error ? ": " : "",
		     error ? strerror(error) : "") < 0)
		return -ENOMEM;
	(void)snprintf(prio, sizeof(prio), "%d", level);
	field(iov, bufs, &n, "PRIORITY", prio);
	field(iov, bufs, &n, "SYSLOG_IDENTIFIER", ident);
	if (error) {
		(void)snprintf(err, sizeof(err), "%d", error);
		field(iov, bufs, &n, "ERRNO", err);
	}
	if (f) {
		field(iov, bufs, &n, "CONTAINER", f->container);
		field(iov, bufs, &n, "IFNAME", f->ifname);
		field(iov, bufs, &n, "MESSAGE_ID", f->message_id);
		if (f->netlink_errno) {
			(void)snprintf(err, sizeof(err), "%d", f->netlink_errno);
			field(iov, bufs, &n, "NETLINK_ERRNO", err);
		}
	}
	iov[n++] = (struct iovec){ .iov_base = message, .iov_len = strlen(message) };
	return sd_journal_sendv(iov, (int)n);
}

static void to_stderr(int level, int error, const char *msg, bool journal)
{
	if (journal)
		fprintf(stderr, "<%d>", level);
	else if (ident)
		fprintf(stderr, "%s: ", ident);
	if (error)
		fprintf(stderr, "%s: %s\n", msg, strerror(error));
	else
		fprintf(stderr, "%s\n", msg);
}

static int log_va(int level, int error, const struct log_fields *f, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[2048];
	bool journal;

	if (error < 0)
		error = -error;
	if (level > max_level)
		goto out;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	journal = stderr_is_journal();
	if (!journal || to_journal(level, error, f, msg) < 0)
		to_stderr(level, error, msg, journal);
out:
	errno = saved;
	return -error;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_va(level, error, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int log_fields_internal(int level, int error, const struct log_fields *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_va(level, error, f, fmt, ap);
	va_end(ap);
	return r;
}
