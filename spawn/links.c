/* SPDX-License-Identifier: MIT */
/* Creating and deleting the container's links (see links.h). */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sched.h>

#include "links.h"
#include "nl.h"
#include "nllink.h"

static int talk(struct nl_sock *nl, struct nlmsghdr *req, char *err, size_t len, const char *what,
		const char *name)
{
	struct nl_err e = {0};
	int r = nl_talk(nl, req, &e);

	if (r < 0)
		(void)snprintf(err, len, "%s %s: %s%s%s", what, name, strerror(-r),
			       e.msg[0] ? ": " : "", e.msg);
	return r;
}

/* A netlink socket inside the namespace at fd: the calling thread visits it to open one. */
static int open_in(int netns_fd, struct nl_sock **ret)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	r = nl_open(NULL, 0, 0, false, ret);
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	return r;
}

/*
 * The kernel (up to at least 6.18) ignores IFLA_PROP_LIST in a create request: the altname is
 * added right after, before anyone could act on the link under its short name only.
 * -EEXIST means the create request carried it after all.
 */
static int add_altname(struct nl_sock *nl, const char *name, const char *alt, char *err, size_t len)
{
	char buf[NLMSG_BUF_SIZE];
	int r;

	if (!alt)
		return 0;
	r = talk(nl, nllink_put_altname(buf, name, alt), err, len, "add altname to", name);
	return r == -EEXIST ? 0 : r;
}

int links_macvlan_name(const char *ifname, char full[static IFNAME_ALT_MAX + 1],
		       char name[static IFNAMSIZ])
{
	int r;

	(void)snprintf(full, IFNAME_ALT_MAX + 1, "mv-%s", ifname);
	r = ifname_shorten(full, name);
	return r < 0 ? r : r > 0;
}

static int create_veth(struct nl_sock *nl, struct nl_sock *inner, const struct conf_veth *v,
		       const char *peer, int netns_fd, char *err, size_t len)
{
	char buf[NLMSG_BUF_SIZE];
	struct nllink_name h = {v->ifname, v->altname};
	struct nllink_name p = {peer ? peer : v->ifname, peer ? NULL : v->altname};
	int r;

	r = talk(nl, nllink_put_veth(buf, &h, &p, netns_fd), err, len, "create veth", v->ifname);
	if (r == 0)
		r = add_altname(nl, h.name, h.altname, err, len);
	if (r == 0)
		r = add_altname(inner, p.name, p.altname, err, len);
	return r;
}

static int create_macvlan(struct nl_sock *inner, struct nl_sock *nl, const char *parent,
			  int netns_fd, char *err, size_t len)
{
	char buf[NLMSG_BUF_SIZE], full[IFNAME_ALT_MAX + 1], name[IFNAMSIZ];
	unsigned idx = if_nametoindex(parent);
	struct nllink_name n = {name, NULL};
	int r;

	if (idx == 0) {
		(void)snprintf(err, len, "MACVLAN=%s: no such interface", parent);
		return -ENODEV;
	}
	r = links_macvlan_name(parent, full, name);
	if (r < 0)
		return r;
	if (r > 0)
		n.altname = full;
	r = talk(nl, nllink_put_macvlan(buf, &n, (int)idx, netns_fd), err, len, "create macvlan",
		 name);
	return r < 0 ? r : add_altname(inner, name, n.altname, err, len);
}

static int move_link(struct nl_sock *nl, const char *ifname, int netns_fd, char *err, size_t len)
{
	char buf[NLMSG_BUF_SIZE];
	unsigned idx = if_nametoindex(ifname);

	if (idx == 0) {
		(void)snprintf(err, len, "Interface=%s: no such interface", ifname);
		return -ENODEV;
	}
	return talk(nl, nllink_put_move(buf, (int)idx, netns_fd), err, len,
		    "move into the container", ifname);
}

int links_create(const struct conf_container *cc, bool main_veth, int netns_fd, char *err,
		 size_t len)
{
	struct nl_sock *nl = NULL, *inner = NULL;
	int r;

	r = nl_open(NULL, 0, 0, false, &nl);
	if (r == 0)
		r = open_in(netns_fd, &inner);
	if (r < 0) {
		(void)snprintf(err, len, "rtnetlink: %s", strerror(-r));
		goto out;
	}
	if (main_veth)
		r = create_veth(nl, inner, &cc->veth, "host0", netns_fd, err, len);
	for (size_t i = 0; r == 0 && i < cc->n_extras; i++)
		r = create_veth(nl, inner, &cc->extras[i]->veth, NULL, netns_fd, err, len);
	for (char **m = cc->macvlans; r == 0 && m && *m; m++)
		r = create_macvlan(inner, nl, *m, netns_fd, err, len);
	for (char **i = cc->interfaces; r == 0 && i && *i; i++)
		r = move_link(nl, *i, netns_fd, err, len);
out:
	nl_close(inner);
	nl_close(nl);
	return r;
}

static int del_link(struct nl_sock *nl, const char *name)
{
	char buf[NLMSG_BUF_SIZE];
	int r = nl_talk(nl, nllink_put_del(buf, name), NULL);

	return r == -ENODEV ? 0 : r;
}

int links_remove(const struct conf_container *cc, bool main_veth)
{
	struct nl_sock *nl = NULL;
	int r, first = 0;

	r = nl_open(NULL, 0, 0, false, &nl);
	if (r < 0)
		return r;
	if (main_veth)
		first = del_link(nl, cc->veth.ifname);
	for (size_t i = 0; i < cc->n_extras; i++) {
		r = del_link(nl, cc->extras[i]->veth.ifname);
		if (r < 0 && first == 0)
			first = r;
	}
	nl_close(nl);
	return first;
}
