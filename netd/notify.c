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

/* Connected, so poll(POLLOUT) reports room in the receiver's queue. */
static int notify_fd(void)
{
	static int fd = -1;
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int r;

	if (fd >= 0)
		return fd;
	r = notify_address(&sa, &salen);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		fd = safe_close(fd);
		return r;
	}
	return fd;
}

int notify_send(const char *text, bool state_change)
{
	int fd, r;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	fd = notify_fd();
	if (fd < 0)
		return log_debug_errno(fd, "Cannot reach $NOTIFY_SOCKET");
	for (;;) {
		if (send(fd, text, strlen(text), MSG_NOSIGNAL) >= 0)
			return 0;
		r = -errno;
		if (r != -EAGAIN || !state_change)
			break;
		if (poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, 1000) <= 0)
			break;
	}
	return log_debug_errno(r, "Failed to send notification \"%.20s\"", text);
}
