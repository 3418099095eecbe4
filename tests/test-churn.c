/* SPDX-License-Identifier: MIT */
/*
 * Foreign churn on a container link: someone keeps changing the link while netd's requests on
 * it are refused. A suite of its own, because the churn holds the rtnl lock so hard that the
 * kernel's linkwatch (operstate) work in every other namespace lags behind while it runs.
 */
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "harness.h"

TestSuite(churn, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 120);

/*
 * Add and delete a foreign IPv4 address on a link, over and over, from a thread, one request
 * per datagram and without waiting for ACKs: the kernel announces a change of the link every
 * few microseconds for as long as the churn runs.
 */
struct addr_churn {
	int fd; /* owned */
	int ifindex;
	pthread_t thread;
	atomic_bool stop;
};

static size_t put_addr_msg(char *buf, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const uint8_t a[4] = { 192, 0, 2, 1 };

	memset(buf, 0, NLMSG_SPACE(sizeof(*ifa)));
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	nh->nlmsg_type = type;
	nh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = (unsigned)ifindex;
	harness_rta_put(nh, IFA_LOCAL, a, sizeof(a));
	harness_rta_put(nh, IFA_ADDRESS, a, sizeof(a));
	return NLMSG_ALIGN(nh->nlmsg_len);
}

static void *addr_churn_run(void *userdata)
{
	struct addr_churn *c = userdata;
	char add[64], del[64], sink[8192];
	size_t add_len = put_addr_msg(add, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, c->ifindex);
	size_t del_len = put_addr_msg(del, RTM_DELADDR, 0, c->ifindex);

	while (!atomic_load(&c->stop)) {
		if (send(c->fd, add, add_len, 0) < 0 || send(c->fd, del, del_len, 0) < 0)
			break;
		/* refusals, if any, are not this test's business: drop them */
		while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	return NULL;
}

/* Start churning on dev and return once the churn is seen on it. */
static void addr_churn_start(struct addr_churn *c, const char *dev)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	c->ifindex = (int)if_nametoindex(dev);
	cr_assert(c->ifindex > 0, "no link %s", dev);
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	cr_assert(c->fd >= 0, "netlink socket: %s", strerror(errno));
	cr_assert(bind(c->fd, (struct sockaddr *)&me, sizeof(me)) == 0, "bind: %s",
		  strerror(errno));
	atomic_store(&c->stop, false);
	cr_assert(pthread_create(&c->thread, NULL, addr_churn_run, c) == 0, "pthread_create");
	sh_ok("timeout %d ip -o monitor address dev %s | grep -q -m 1 192.0.2.1/32",
	      WAIT_MS / 1000, dev);
}

/* Stop the churn. Returns whether it was still going (no send had failed). */
static bool addr_churn_stop(struct addr_churn *c)
{
	bool was_running = pthread_tryjoin_np(c->thread, NULL) == EBUSY;

	atomic_store(&c->stop, true);
	if (was_running)
		cr_assert(pthread_join(c->thread, NULL) == 0, "pthread_join");
	close(c->fd);
	return was_running;
}

/*
 * Someone keeps changing a container's host link (the churn above) while the kernel refuses
 * netd's route on it: another route holds its key. A refusal that follows a foreign change is
 * replanned, but only a few times in a row: the container must be failed while the churn
 * still goes on, after a bounded number of writes (7 to configure it, a few replans). Four
 * rounds, each with its own container and a netd started once the churn is under way.
 */
#define REPLAN_WRITES_MAX 14

Test(churn, refusals_fail_while_it_goes_on)
{
	sh_ok("ip link add foo type veth peer name bar && ip link set foo up");
	for (int i = 0; i < 4; i++) {
		struct addr_churn churn = {};
		char name[8], ve[16], conf[128];

		snprintf(name, sizeof(name), "c%d", i);
		snprintf(ve, sizeof(ve), "ve-%s", name);
		snprintf(conf, sizeof(conf),
			 "[Container %s]\nPrivateNetwork=yes\nHostAddress=10.0.%d.1\n"
			 "LocalAddress=10.0.%d.2\n",
			 name, i, i);
		sh_ok("ip route add 10.0.%d.2/32 dev foo proto static", i);
		ct_add(name, false, true);
		addr_churn_start(&churn, ve);
		netd_start(conf, NULL);

		wait_state(STATE_DIR, name, "failed", WAIT_MS);
		cr_expect(addr_churn_stop(&churn), "the churn stopped before %s was failed", name);
		_cleanup_free_ char *err = state_get(STATE_DIR, name, "ERROR");
		cr_expect(err && strstr(err, "File exists") && strstr(err, "/32"),
			  "ERROR= names the refused route and the kernel's reason: %s", strna(err));
		struct netd_status s = netd_wait_counter("failed", 1, WAIT_MS);
		if (s.writes > REPLAN_WRITES_MAX)
			netd_dump_log();
		cr_expect(s.writes <= REPLAN_WRITES_MAX, "%s: writes=%ld, expected at most %d: %s",
			  name, s.writes, REPLAN_WRITES_MAX, netd_status_str(&s));
		expect_sh(q_route(NULL, "10.0.0.2", "foo", NULL));
		netd_stop();
	}
}

