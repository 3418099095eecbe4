/* SPDX-License-Identifier: MIT */
/* /proc/sys/net writes through a directory descriptor. */
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"
#include "util.h"

int sysctl_dir_open(void)
{
	int fd = open("/proc/sys/net", O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int sysctl_write(int dir, const char *path, const char *value)
{
	_cleanup_close_ int fd = openat(dir, path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		return -errno;
	return 0;
}

/* Set path to "1". Returns 1 when it was something else, 0 when already 1. */
static int enable(int dir, const char *path)
{
	_cleanup_close_ int fd = openat(dir, path, O_RDWR | O_CLOEXEC);
	char cur[8] = "";
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n < 0)
		return -errno;
	if (n > 0 && cur[0] == '1' && (cur[1] == '\n' || cur[1] == '\0'))
		return 0;
	if (pwrite(fd, "1\n", 2, 0) != 2)
		return -errno;
	return 1;
}

int sysctl_forwarding_enable(int dir, bool ipv4, bool ipv6)
{
	static const struct {
		const char *path;
		int bit;
	} knobs[] = {
		{ "ipv4/ip_forward", SYSCTL_FORWARDING_IPV4 },
		{ "ipv6/conf/all/forwarding", SYSCTL_FORWARDING_IPV6 },
	};
	int changed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		int r;

		if (!(knobs[i].bit == SYSCTL_FORWARDING_IPV4 ? ipv4 : ipv6))
			continue;
		r = enable(dir, knobs[i].path);
		if (r < 0)
			return r;
		if (r)
			changed |= knobs[i].bit;
	}
	return changed;
}

/* The name becomes a path component: no '/', no "." or "..". */
static bool ifname_valid(const char *ifname)
{
	return ifname && *ifname && strlen(ifname) < IFNAMSIZ && !strchr(ifname, '/') &&
	       strcmp(ifname, ".") != 0 && strcmp(ifname, "..") != 0;
}

int sysctl_localnet_enable(int dir, const char *ifname)
{
	char path[64];

	if (!ifname_valid(ifname))
		return -EINVAL;
	(void)snprintf(path, sizeof(path), "ipv4/conf/%s/route_localnet", ifname);
	return enable(dir, path);
}

int sysctl_dad_disable(int dir, const char *ifname)
{
	char path[64];

	if (!ifname_valid(ifname))
		return -EINVAL;
	(void)snprintf(path, sizeof(path), "ipv6/conf/%s/accept_dad", ifname);
	return sysctl_write(dir, path, "0");
}
