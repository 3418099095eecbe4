/* SPDX-License-Identifier: MIT */
/* Verifying and opening /run/netns/NAME. */
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "nsattach.h"

static void ns_path(const char *name, char path[static PATH_MAX])
{
	(void)snprintf(path, PATH_MAX, "%s/%s", NSATTACH_DIR, name);
}

int nsattach_open(struct rtnl *host, const char *name, int peer_nsid, struct nsattach_id *ret_id)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	struct statfs sfs;
	struct stat st;
	int nsid, r;

	ns_path(name, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -EMEDIUMTYPE; /* the name exists, no namespace is mounted on it (yet) */
	r = rtnl_nsid_of(host, fd, &nsid);
	if (r < 0)
		return r;
	if (nsid != peer_nsid)
		return -EXDEV;
	*ret_id = (struct nsattach_id){ .nsid = nsid, .dev = st.st_dev, .ino = st.st_ino };
	return TAKE_FD(fd);
}

bool nsattach_exists(const char *name)
{
	char path[PATH_MAX];

	ns_path(name, path);
	return access(path, F_OK) == 0;
}

bool nsattach_still_named(const char *name, const struct nsattach_id *id)
{
	char path[PATH_MAX];
	struct stat st;

	ns_path(name, path);
	return stat(path, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
}
