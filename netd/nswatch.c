/* SPDX-License-Identifier: MIT */
/*
 * inotify on /run/netns, where `ip netns add` and spawn bind container namespaces. A name
 * going away means the container is stopping: netd must drop its sockets in that namespace,
 * or they alone would keep it (and the container's veth) alive. /run is watched as well so
 * that /run/netns is picked up when the first namespace creates it. The mount table is
 * watched too: a name is created before the namespace is mounted on it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <stdbool.h>
#include <sys/inotify.h>

#include "log.h"
#include "nswatch.h"

#define RUN_DIR "/run"
#define NETNS_DIR "/run/netns"
#define MOUNTINFO "/proc/self/mountinfo"

struct nswatch {
	nswatch_cb cb;
	void *userdata;         /* borrowed: the callback's */
	int run_wd, netns_wd;
	sd_event_source *inotify; /* owned: /run and /run/netns */
	sd_event_source *mounts;  /* owned: mount table changes */
};

static void watch_netns_dir(struct nswatch *w, int fd)
{
	if (w->netns_wd >= 0)
		return;
	w->netns_wd = inotify_add_watch(fd, NETNS_DIR,
					IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
						IN_ONLYDIR);
	if (w->netns_wd < 0 && errno != ENOENT)
		log_warning_errno(-errno, "Cannot watch %s, ignoring", NETNS_DIR);
}

static void on_event(struct nswatch *w, int fd, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		w->cb(NULL, w->userdata); /* names may have come or gone unseen */
		return;
	}
	if (ev->wd == w->run_wd) {
		if (ev->len && strcmp(ev->name, "netns") == 0 && (ev->mask & (IN_CREATE | IN_MOVED_TO)))
			watch_netns_dir(w, fd);
		return;
	}
	if (ev->wd != w->netns_wd)
		return;
	if (ev->mask & IN_IGNORED) {
		w->netns_wd = -1; /* the directory went; /run tells when it is back */
		return;
	}
	if (!ev->len)
		return;
	if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM))
		w->cb(ev->name, w->userdata);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			return 0;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			on_event(userdata, fd, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

/* The kernel flags the mount table file with POLLPRI whenever a mount comes or goes. */
static int on_mounts(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct nswatch *w = userdata;

	w->cb(NULL, w->userdata);
	return 0;
}

static void watch_mounts(struct nswatch *w, sd_event *event)
{
	int fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		log_warning_errno(-errno, "Cannot watch %s, ignoring", MOUNTINFO);
		return;
	}
	r = sd_event_add_io(event, &w->mounts, fd, EPOLLPRI, on_mounts, w);
	if (r < 0) {
		safe_close(fd);
		log_warning_errno(r, "Cannot watch %s, ignoring", MOUNTINFO);
		return;
	}
	(void)sd_event_source_set_io_fd_own(w->mounts, true);
}

struct nswatch *nswatch_free(struct nswatch *w)
{
	if (!w)
		return NULL;
	sd_event_source_disable_unref(w->inotify);
	sd_event_source_disable_unref(w->mounts);
	free(w);
	return NULL;
}

int nswatch_new(sd_event *event, nswatch_cb cb, void *userdata, struct nswatch **ret)
{
	struct nswatch *w;
	int fd, r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct nswatch){ .cb = cb, .userdata = userdata, .run_wd = -1, .netns_wd = -1 };
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	r = sd_event_add_io(event, &w->inotify, fd, EPOLLIN, on_io, w);
	if (r < 0) {
		safe_close(fd);
		free(w);
		return r;
	}
	(void)sd_event_source_set_io_fd_own(w->inotify, true);
	w->run_wd = inotify_add_watch(fd, RUN_DIR, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (w->run_wd < 0)
		log_warning_errno(-errno, "Cannot watch %s, ignoring", RUN_DIR);
	watch_netns_dir(w, fd);
	watch_mounts(w, event);
	*ret = w;
	return 0;
}
