/* SPDX-License-Identifier: MIT */
/*
 * proto/nl.c against the real kernel, each test in a fresh network + mount namespace: ACKs
 * and extended-ACK text from nl_talk, dumps, datagrams from other processes dropped by
 * nl_recv, and ENOBUFS on an overflowing event socket. Waits are poll()s with a bound.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "harness.h"
#include "nl.h"
#include "nlmsg.h"

TestSuite(nl, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 60);

#define RECV_SIZE 65536

static struct nl_sock *open_ok(const unsigned *groups, size_t n_groups, int rcvbuf, bool nonblock)
{
	struct nl_sock *nl = NULL;
	int r = nl_open(groups, n_groups, rcvbuf, nonblock, &nl);

	cr_assert_eq(r, 0, "nl_open: %s", strerror(-r));
	cr_assert_neq(nl->portid, 0);
	return nl;
}

static int ifindex_ok(const char *name)
{
	int i = (int)if_nametoindex(name);

	cr_assert_gt(i, 0, "no link %s", name);
	return i;
}

static struct nl_addr addr4(int ifindex, const char *text, uint8_t prefixlen)
{
	struct nl_addr a = { .family = AF_INET, .ifindex = ifindex, .prefixlen = prefixlen,
			     .protocol = 211 };

	cr_assert_eq(inet_pton(AF_INET, text, &a.addr), 1);
	return a;
}

/* Wait until fd is readable (or has an error pending), at most WAIT_MS. */
static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, WAIT_MS);

	cr_assert_eq(r, 1, "socket not readable within %d ms (poll %d)", WAIT_MS, r);
}

/* ---- nl_talk: ACKs, kernel errors, extended ACKs -------------------------------------- */

Test(nl, talk_errors_carry_extack_text)
{
	static const struct {
		const char *name;
		int family;
		const char *addr;
		int want;
		const char *want_msg;
	} cases[] = {
		{ "ipv4 address on a missing link", AF_INET, "10.1.1.1", -ENODEV,
		  "ipv4: Device not found" },
		{ "ipv6 address on a missing link", AF_INET6, "fd00::1", -ENODEV,
		  "ipv6: Unable to find the interface" },
	};
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[NLMSG_BUF_SIZE];
		struct nl_addr a = { .family = (uint8_t)cases[i].family, .ifindex = 9999,
				     .prefixlen = cases[i].family == AF_INET ? 32 : 128 };
		struct nl_err e;
		int r;

		cr_assert_eq(inet_pton(cases[i].family, cases[i].addr, &a.addr), 1);
		memset(&e, 0x5a, sizeof(e));
		r = nl_talk(nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), &e);
		cr_expect_eq(r, cases[i].want, "case %s: %d", cases[i].name, r);
		cr_expect_eq(e.error, cases[i].want, "case %s", cases[i].name);
		cr_expect_str_eq(e.msg, cases[i].want_msg, "case %s", cases[i].name);
		cr_expect_eq(e.offset, 0, "case %s", cases[i].name);
	}
	nl_close(nl);
}

Test(nl, talk_ack_then_eexist)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct nl_addr a = addr4(1, "10.77.0.1", 32);
	char buf[NLMSG_BUF_SIZE];
	struct nl_err e;
	uint32_t seq = nl->seq;

	memset(&e, 0x5a, sizeof(e));
	cr_expect_eq(nl_talk(nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), &e), 0);
	cr_expect_eq(e.error, 0);
	cr_expect_str_eq(e.msg, "");
	cr_expect_eq(nl->seq, seq + 1, "one sequence number per request");
	assert_sh("ip -j addr show dev lo | jq -e '.[0].addr_info[] | "
		  "select(.local == \"10.77.0.1\" and .prefixlen == 32)' >/dev/null");
	/* NLM_F_EXCL: the second add is refused, and the kernel says why. */
	cr_expect_eq(nl_talk(nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), &e), -EEXIST);
	cr_expect_eq(e.error, -EEXIST);
	cr_expect_str_eq(e.msg, "ipv4: Address already assigned");
	/* A delete ACKs; deleting again is the kernel's "not there" for IPv4. */
	cr_expect_eq(nl_talk(nl, nlmsg_put_addr(buf, RTM_DELADDR, &a), &e), 0);
	cr_expect_eq(nl_talk(nl, nlmsg_put_addr(buf, RTM_DELADDR, &a), NULL), -EADDRNOTAVAIL);
	nl_close(nl);
}

/* A policy violation: the kernel points at our attribute by its offset in the request. */
Test(nl, talk_extack_offset)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct nl_addr a = addr4(1, "10.77.0.2", 32);
	char buf[NLMSG_BUF_SIZE];
	struct nlmsghdr *nlh = nlmsg_put_addr(buf, RTM_NEWADDR, &a);
	uint32_t off = nlh->nlmsg_len;
	uint16_t two_bytes = 5;
	struct nl_err e = {};

	mnl_attr_put(nlh, IFA_RT_PRIORITY, sizeof(two_bytes), &two_bytes); /* u32 in the policy */
	cr_expect_eq(nl_talk(nl, nlh, &e), -ERANGE);
	cr_expect_eq(e.error, -ERANGE);
	cr_expect_str_eq(e.msg, "Attribute failed policy validation");
	cr_expect_eq(e.offset, off);
	nl_close(nl);
}

Test(nl, talk_route_via_gateway_on_down_link)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	char buf[NLMSG_BUF_SIZE];
	struct nl_route rt = { .family = AF_INET, .dst_len = 24, .table = RT_TABLE_MAIN,
			       .protocol = 211, .has_gateway = true, .onlink = true };
	struct nl_err e = {};

	sh_ok("ip link add d0 type veth peer name d1");
	rt.oif = ifindex_ok("d0");
	cr_assert_eq(inet_pton(AF_INET, "10.7.0.0", &rt.dst), 1);
	cr_assert_eq(inet_pton(AF_INET, "10.0.0.2", &rt.gateway), 1);
	cr_expect_eq(nl_talk(nl, nlmsg_put_route(buf, RTM_NEWROUTE, &rt), &e), -ENETDOWN);
	cr_expect_str_eq(e.msg, "Nexthop device is not up");
	/* Up, the same request is fine. */
	sh_ok("ip link set d0 up");
	cr_expect_eq(nl_talk(nl, nlmsg_put_route(buf, RTM_NEWROUTE, &rt), &e), 0, "%s", e.msg);
	expect_sh(q_route(NULL, "10.7.0.0/24", "d0", "10.0.0.2"));
	nl_close(nl);
}

/* ---- nl_dump -------------------------------------------------------------------------- */

struct dump_seen {
	size_t n;
	bool lo, veth;
	int lo_flags;
	int peer; /* ve-t's IFLA_LINK */
	char kind[16], altname[64];
	bool bad;
};

static int link_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump_seen *s = userdata;
	struct nl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlmsg_parse_link(nlh, &l) < 0) {
		s->bad = true;
		return 0;
	}
	s->n++;
	if (strcmp(l.name, "lo") == 0 && l.ifindex == 1) {
		s->lo = true;
		s->lo_flags = (int)l.flags;
	}
	if (strcmp(l.name, "ve-t") == 0) {
		s->veth = true;
		s->peer = l.peer_ifindex;
		snprintf(s->kind, sizeof(s->kind), "%s", l.kind);
		if (l.n_altnames == 1)
			snprintf(s->altname, sizeof(s->altname), "%s", l.altnames[0]);
	}
	nl_link_done(&l);
	return 0;
}

Test(nl, dump_links)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct dump_seen s = {};
	char buf[NLMSG_BUF_SIZE];
	int r;

	sh_ok("ip link add ve-t type veth peer name host0 && "
	      "ip link property add dev ve-t altname ve-t-with-a-long-altname");
	r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETLINK, AF_UNSPEC), link_cb, &s);
	cr_assert_eq(r, 0, "nl_dump: %s", strerror(-r));
	cr_expect_not(s.bad, "a reply that is not a parseable RTM_NEWLINK");
	cr_expect_eq(s.n, 3, "lo, ve-t, host0");
	cr_expect(s.lo, "lo (ifindex 1) not in the dump");
	cr_expect_eq(s.lo_flags & (IFF_UP | IFF_LOOPBACK), IFF_UP | IFF_LOOPBACK);
	cr_expect(s.veth, "ve-t not in the dump");
	cr_expect_str_eq(s.kind, "veth");
	cr_expect_str_eq(s.altname, "ve-t-with-a-long-altname");
	cr_expect_eq(s.peer, ifindex_ok("host0"));
	nl_close(nl);
}

/*
 * A callback's error aborts the dump (no further calls) and is what nl_dump returns; the rest
 * of the dump does not poison the next request on the socket.
 */
static int abort_cb(const struct nlmsghdr *nlh, void *userdata)
{
	(*(unsigned *)userdata)++;
	return -ECANCELED;
}

Test(nl, dump_callback_error)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct dump_seen s = {};
	char buf[NLMSG_BUF_SIZE];
	unsigned calls = 0;

	int r;

	/* Enough links that the dump takes several datagrams. */
	sh_ok("for i in $(seq 0 99); do echo link add a$i type veth peer name b$i; done >"
	      TEST_DIR "/b && ip -batch " TEST_DIR "/b");
	r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETLINK, AF_UNSPEC), abort_cb, &calls);
	cr_expect_eq(r, -ECANCELED, "%d", r);
	cr_expect_eq(calls, 1, "callback called %u times after it failed", calls - 1);
	r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETLINK, AF_UNSPEC), link_cb, &s);
	cr_expect_eq(r, 0, "second dump: %s", strerror(-r));
	cr_expect(s.lo);
	cr_expect_eq(s.n, 201);
	cr_expect_not(s.bad);
	nl_close(nl);
}

/*
 * A dump that spans several datagrams while someone else changes the table in between is
 * flagged NLM_F_DUMP_INTR by the kernel: nl_dump must say -EINTR, not hand back a torn
 * result as complete. The churn is a thread adding and deleting one address on its own
 * socket; the dump is of the N_DUMP_ADDRS addresses on d0, several datagrams long.
 */
#define N_DUMP_ADDRS 3000

struct churn {
	struct nl_sock *nl; /* owned by the test */
	int ifindex;
	atomic_bool stop;
	atomic_ulong rounds;
	atomic_int error; /* first unexpected error, 0 when none */
};

static void *churn_run(void *userdata)
{
	struct churn *c = userdata;
	struct nl_addr a = addr4(c->ifindex, "10.81.0.1", 32);
	char buf[NLMSG_BUF_SIZE];

	while (!atomic_load(&c->stop)) {
		int r = nl_talk(c->nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), NULL);

		if (r == 0)
			r = nl_talk(c->nl, nlmsg_put_addr(buf, RTM_DELADDR, &a), NULL);
		if (r < 0) {
			atomic_store(&c->error, r);
			break;
		}
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

struct addr_seen {
	size_t n_ours, dups;
	uint8_t seen[N_DUMP_ADDRS];
	bool bad;
};

/* d0's addresses are 10.80.I/250.I%250+1 for I < N_DUMP_ADDRS. */
static int addr_cb(const struct nlmsghdr *nlh, void *userdata)
{
	struct addr_seen *s = userdata;
	struct nl_addr a;
	const uint8_t *b;
	size_t i;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlmsg_parse_addr(nlh, &a) < 0) {
		s->bad = true;
		return 0;
	}
	b = (const uint8_t *)&a.addr;
	if (a.family != AF_INET || b[0] != 10 || b[1] != 80)
		return 0;
	i = (size_t)b[2] * 250 + b[3] - 1;
	if (i >= N_DUMP_ADDRS) {
		s->bad = true;
		return 0;
	}
	if (s->seen[i]++)
		s->dups++;
	s->n_ours++;
	return 0;
}

Test(nl, dump_interrupted_is_reported)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct churn c = { .nl = open_ok(NULL, 0, 0, false) };
	_cleanup_free_ struct addr_seen *s = calloc(1, sizeof(*s));
	unsigned long long deadline = now_usec() + (unsigned long long)WAIT_MS * 1000;
	char buf[NLMSG_BUF_SIZE];
	unsigned dumps = 0, intr = 0;
	pthread_t t;
	int r;

	cr_assert_not_null(s);
	sh_ok("ip link add d0 type veth peer name d1 && "
	      "for i in $(seq 0 %d); do echo addr add 10.80.$((i / 250)).$((i %% 250 + 1))/32 "
	      "dev d0; done >" TEST_DIR "/addrs && ip -batch " TEST_DIR "/addrs",
	      N_DUMP_ADDRS - 1);
	c.ifindex = ifindex_ok("d0");
	cr_assert_eq(pthread_create(&t, NULL, churn_run, &c), 0);
	/* Bounded: a few thousand dumps or WAIT_MS, whichever comes first. */
	while (intr == 0 && dumps < 5000 && remaining_ms(deadline) > 0 &&
	       atomic_load(&c.error) == 0) {
		memset(s, 0, sizeof(*s));
		r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETADDR, AF_INET), addr_cb, s);
		cr_assert(r == 0 || r == -EINTR, "nl_dump during churn: %s", strerror(-r));
		dumps++;
		if (r == -EINTR)
			intr++;
	}
	atomic_store(&c.stop, true);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(atomic_load(&c.error), 0, "churn: %s", strerror(-atomic_load(&c.error)));
	cr_expect_gt(intr, 0,
		     "no -EINTR in %u address dumps while %lu add/delete rounds changed the table",
		     dumps, atomic_load(&c.rounds));

	/* Redone with the table at rest, the dump is whole: every address, each once. */
	memset(s, 0, sizeof(*s));
	r = nl_dump(nl, nlmsg_put_dump(buf, RTM_GETADDR, AF_INET), addr_cb, s);
	cr_expect_eq(r, 0, "dump redone after the churn: %s", strerror(-r));
	cr_expect_not(s->bad);
	cr_expect_eq(s->n_ours, N_DUMP_ADDRS, "%zu of d0's %d addresses", s->n_ours, N_DUMP_ADDRS);
	cr_expect_eq(s->dups, 0, "%zu addresses reported twice", s->dups);
	nl_close(c.nl);
	nl_close(nl);
}

/* ---- nl_recv: only the kernel speaks -------------------------------------------------- */

/* A second, ordinary netlink socket that unicasts to portid. */
static void forge(uint32_t portid, const struct nlmsghdr *nlh)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = portid };
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0, "bind: %s", strerror(errno));
	cr_assert_eq(sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)nlh->nlmsg_len, "forged sendto: %s", strerror(errno));
}

/* The datagram at the head of fd's queue comes from a user port (not the kernel). */
static void expect_head_forged(int fd)
{
	struct sockaddr_nl from = {};
	socklen_t len = sizeof(from);
	char b[64];

	cr_assert_geq(recvfrom(fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT, (struct sockaddr *)&from,
			       &len),
		      0, "nothing queued: %s", strerror(errno));
	cr_assert_neq(from.nl_pid, 0, "the forged datagram was not queued first");
}

/* A forged NLMSG_ERROR that would answer the next request with -EPERM. */
Test(nl, talk_ignores_forged_ack)
{
	struct nl_sock *nl = open_ok(NULL, 0, 0, false);
	struct nl_addr a = addr4(1, "10.78.0.1", 32);
	char buf[NLMSG_BUF_SIZE], fake[256] = {};
	struct nlmsghdr *f = mnl_nlmsg_put_header(fake);
	struct nlmsgerr *err;
	struct nl_err e = {};

	f->nlmsg_type = NLMSG_ERROR;
	f->nlmsg_flags = NLM_F_CAPPED;
	f->nlmsg_seq = nl->seq + 1; /* what nl_talk will use */
	f->nlmsg_pid = nl->portid;
	err = mnl_nlmsg_put_extra_header(f, sizeof(*err));
	err->error = -EPERM;
	err->msg.nlmsg_type = RTM_NEWADDR;
	err->msg.nlmsg_seq = f->nlmsg_seq;
	err->msg.nlmsg_pid = nl->portid;
	forge(nl->portid, f);
	expect_head_forged(nl_fd(nl));

	cr_expect_eq(nl_talk(nl, nlmsg_put_addr(buf, RTM_NEWADDR, &a), &e), 0,
		     "the forged -EPERM was taken for the kernel's answer (%d %s)", e.error, e.msg);
	assert_sh("ip -j addr show dev lo | jq -e '.[0].addr_info[] | "
		  "select(.local == \"10.78.0.1\")' >/dev/null");
	nl_close(nl);
}

/* A forged link event on a subscribed socket, then a real one: only the real one is read. */
Test(nl, recv_drops_forged_event)
{
	const unsigned groups[] = { RTNLGRP_LINK };
	struct nl_sock *nl = open_ok(groups, ARRAY_SIZE(groups), 0, true);
	_cleanup_free_ char *buf = malloc(RECV_SIZE);
	char fake[256] = {};
	struct nlmsghdr *f = mnl_nlmsg_put_header(fake);
	struct ifinfomsg *ifi;
	size_t n_kernel = 0;
	ssize_t n;

	cr_assert_not_null(buf);
	f->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(f, sizeof(*ifi));
	ifi->ifi_index = 4242;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(f, IFLA_IFNAME, "evil0");
	forge(nl->portid, f);
	expect_head_forged(nl_fd(nl));

	/* Only the forged datagram is queued: dropped, so nothing to read. */
	cr_expect_eq(nl_recv(nl, buf, RECV_SIZE), -EAGAIN);

	forge(nl->portid, f);
	sh_ok("ip link add k0 type veth peer name k1");
	for (;;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left;

		wait_readable(nl_fd(nl));
		n = nl_recv(nl, buf, RECV_SIZE);
		if (n == -EAGAIN)
			break;
		cr_assert_gt(n, 0, "nl_recv: %s", strerror((int)-n));
		left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			struct nl_link l;

			cr_assert_eq(nlh->nlmsg_type, RTM_NEWLINK);
			cr_assert_eq(nlmsg_parse_link(nlh, &l), 0);
			cr_expect_str_neq(l.name, "evil0", "forged event delivered");
			cr_expect(strcmp(l.name, "k0") == 0 || strcmp(l.name, "k1") == 0,
				  "unexpected link %s", l.name);
			cr_expect_eq(nlh->nlmsg_seq, 0, "a notification has no sequence number");
			n_kernel++;
			nl_link_done(&l);
		}
		/* Both links announced: nothing more is coming. */
		if (n_kernel >= 2)
			break;
	}
	cr_expect_geq(n_kernel, 2, "the kernel's events for k0 and k1");
	nl_close(nl);
}

/* ---- ENOBUFS ------------------------------------------------------------------------- */

Test(nl, recv_reports_enobufs)
{
	const unsigned groups[] = { RTNLGRP_LINK };
	struct nl_sock *nl = open_ok(groups, ARRAY_SIZE(groups), 1024, true);
	_cleanup_free_ char *buf = malloc(RECV_SIZE);
	char *batch = NULL;
	size_t batch_len = 0, n_msgs = 0;
	int rcvbuf = 0, i;
	socklen_t optlen = sizeof(rcvbuf);
	bool enobufs = false;
	FILE *f;

	cr_assert_not_null(buf);
	cr_assert_eq(getsockopt(nl_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen), 0);
	/* The kernel doubles the value and applies its minimum: a few KiB, not the default. */
	cr_expect_leq(rcvbuf, 4096, "SO_RCVBUF %d", rcvbuf);

	f = open_memstream(&batch, &batch_len);
	cr_assert_not_null(f);
	for (i = 0; i < 200; i++)
		fprintf(f, "link add vx%d type veth peer name vy%d\n", i, i);
	cr_assert_eq(fclose(f), 0);
	file_write(TEST_DIR "/links.batch", batch);
	free(batch);
	/* rtnetlink notifies inside the request: once ip exits, every event was queued or lost. */
	sh_ok("ip -batch " TEST_DIR "/links.batch");

	wait_readable(nl_fd(nl));
	for (i = 0; i < 10000 && !enobufs; i++) {
		ssize_t n = nl_recv(nl, buf, RECV_SIZE);

		if (n == -ENOBUFS)
			enobufs = true;
		else if (n == -EAGAIN)
			break;
		else
			cr_assert_gt(n, 0, "nl_recv: %s", strerror((int)-n));
		n_msgs++;
	}
	cr_expect(enobufs, "no ENOBUFS after %zu datagrams for 400 new links", n_msgs);
	cr_expect_lt(n_msgs, 400, "every event arrived despite the small buffer");
	/* The error is reported once; then the socket reads on (what is still queued, or none). */
	{
		ssize_t n = nl_recv(nl, buf, RECV_SIZE);

		cr_expect(n > 0 || n == -EAGAIN, "after ENOBUFS: %zd", n);
	}
	nl_close(nl);
}
