/* SPDX-License-Identifier: MIT */
/*
 * sd_notify() blocks while the receiver's datagram queue is full (net.unix.max_dgram_qlen,
 * 10 by default): a supervisor that reads slowly would freeze netd's loop and with it every
 * container's network. So: non-blocking for status updates, a bounded wait for the messages a
 * supervisor acts on.
 */
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "notify.h"
#include "util.h"

static int notify_address(struct sockaddr_un *sa, socklen_t *ret_len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || !path[0])
		return 0;
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;
	len = strlen(path);
	if (len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(sa->sun_path, path, len);
	if (path[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract namespace */
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return 1;
}

static struct {
	int fd;               /* connected to $NOTIFY_SOCKET, -1 until first use */
	sd_event *event;      /* borrowed: the loop that retries a held-back update */
	sd_event_source *out; /* owned: EPOLLOUT watch while an update is held back */
	char *pending;        /* owned: the latest STATUS= that did not fit */
} notifier = { .fd = -1 };

/* Connected, so poll(POLLOUT) reports room in the receiver's queue. */
static int notify_fd(void)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int r;

	if (notifier.fd >= 0)
		return notifier.fd;
	r = notify_address(&sa, &salen);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	notifier.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (notifier.fd < 0)
		return -errno;
	if (connect(notifier.fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		notifier.fd = safe_close(notifier.fd);
		return r;
	}
	return notifier.fd;
}

static int on_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	_cleanup_free_ char *text = TAKE_PTR(notifier.pending);

	(void)sd_event_source_set_enabled(notifier.out, SD_EVENT_OFF);
	if (text)
		(void)notify_send(text, false);
	return 0;
}

/* Keep only the newest update; send it when the receiver has room again. */
static int hold_back(int fd, const char *text)
{
	char *copy = strdup(text);
	int r;

	if (!copy)
		return -ENOMEM;
	free(notifier.pending);
	notifier.pending = copy;
	if (!notifier.event)
		return -EAGAIN;
	if (!notifier.out) {
		r = sd_event_add_io(notifier.event, &notifier.out, fd, EPOLLOUT, on_writable, NULL);
		if (r < 0)
			return r;
	}
	return sd_event_source_set_enabled(notifier.out, SD_EVENT_ONESHOT);
}

void notify_attach(sd_event *event)
{
	notifier.event = event;
}

void notify_detach(void)
{
	notifier.out = sd_event_source_disable_unref(notifier.out);
	free(notifier.pending);
	notifier.pending = NULL;
	notifier.event = NULL;
}

int notify_send(const char *text, bool state_change)
{
	int fd, r;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	fd = notify_fd();
	if (fd < 0)
		return log_debug_errno(fd, "Cannot reach $NOTIFY_SOCKET");
	if (!state_change && notifier.pending)
		return hold_back(fd, text); /* keep the order: the older one goes first */
	if (state_change) {
		/* READY=1 and friends carry the current STATUS=: an older held-back one is moot. */
		free(notifier.pending);
		notifier.pending = NULL;
	}
	for (;;) {
		if (send(fd, text, strlen(text), MSG_NOSIGNAL) >= 0)
			return 0;
		r = -errno;
		if (r == -EAGAIN && !state_change)
			return hold_back(fd, text);
		if (r != -EAGAIN)
			break;
		if (poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, 1000) <= 0)
			break;
	}
	return log_debug_errno(r, "Failed to send notification \"%.20s\"", text);
}
