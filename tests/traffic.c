/* SPDX-License-Identifier: MIT */
/*
 * Sockets in other network namespaces, small servers, request/answer exchanges and the outside
 * host namespace (see traffic.h).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "traffic.h"

/* Bounds of one exchange: the TCP handshake (one SYN retransmission fits), the request at the
 * server, the answer back. */
#define CONNECT_MS 3000
#define REQUEST_MS 1000
#define ANSWER_MS 2000

void outside_add(void)
{
	sh_ok("ip netns add " OUT_NS " && ip link add veo type veth peer name eth0 netns " OUT_NS);
	sh_ok("ip addr add " OUT_HOST4 "/24 dev veo && "
	      "ip -6 addr add " OUT_HOST6 "/64 dev veo nodad && "
	      "ip link set veo up && ip -n " OUT_NS " link set lo up && "
	      "ip -n " OUT_NS " link set eth0 up && "
	      "ip -n " OUT_NS " addr add " OUT_PEER4 "/24 dev eth0 && "
	      "ip -n " OUT_NS " -6 addr add " OUT_PEER6 "/64 dev eth0 nodad && "
	      "ip -n " OUT_NS " route add 10.0.0.0/8 via " OUT_HOST4 " && "
	      "ip -n " OUT_NS " -6 route add fd00::/8 via " OUT_HOST6);
	/* A veth end brought up before its peer drops what it sends until linkwatch activates it
	 * on carrier; and IPv6 resolves the neighbours of forwarded packets from the link-local
	 * address only, which is unusable until its DAD is over. Wait for both. */
	watch_ns(NULL);
	watch_ns(OUT_NS);
	wait_cond(WAIT_MS, "%s && %s", q_settled(NULL, "veo"), q_settled(OUT_NS, "eth0"));
}

int ns_socket(const char *ns, int family, int type)
{
	char path[64];
	int self, target, fd;

	if (!ns)
		return socket(family, type | SOCK_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert(self >= 0 && target >= 0, "open netns %s", ns);
	cr_assert_eq(setns(target, CLONE_NEWNET), 0, "setns %s", ns);
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0, "setns back");
	close(self);
	close(target);
	cr_assert(fd >= 0, "socket in %s: %s", ns, strerror(errno));
	return fd;
}

static socklen_t mkaddr(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1, "%s", addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1, "%s", addr);
	return sizeof(*s4);
}

static void peer_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, len);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, len);
}

int server(const char *ns, bool udp, const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(addr, port, &ss);
	int fd = ns_socket(ns, ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sl), 0, "bind %s:%u in %s: %s", addr, port,
		     ns ? ns : "host", strerror(errno));
	if (!udp)
		cr_assert_eq(listen(fd, 16), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static bool wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/*
 * The server's half: find this exchange's request (token) on srv and answer it. What earlier
 * exchanges left behind (a connection never accepted, a datagram never read) is taken off
 * and dropped on the way.
 */
static enum reach_result serve(int srv, bool udp, const char *token,
			       struct sockaddr_storage *peer)
{
	unsigned long long deadline = now_usec() + REQUEST_MS * 1000ULL;
	size_t len = strlen(token);
	char buf[64];

	while (wait_in(srv, remaining_ms(deadline))) {
		socklen_t pl = sizeof(*peer);
		ssize_t n;
		int conn;

		if (udp) {
			n = recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)peer, &pl);
			if (n != (ssize_t)len || memcmp(buf, token, len))
				continue;
			if (sendto(srv, "pong", 4, 0, (struct sockaddr *)peer, pl) != 4)
				cr_log_warn("the server could not answer: %s", strerror(errno));
			return REACH_REQUEST;
		}
		conn = accept4(srv, (struct sockaddr *)peer, &pl, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		n = wait_in(conn, remaining_ms(deadline)) ? recv(conn, buf, sizeof(buf), 0) : -1;
		if (n == (ssize_t)len && !memcmp(buf, token, len)) {
			if (write(conn, "pong", 4) != 4)
				cr_log_warn("the server could not answer: %s", strerror(errno));
			close(conn);
			return REACH_REQUEST;
		}
		close(conn);
	}
	return REACH_NONE;
}

/* A non-blocking socket in ns connected (TCP: handshake completed) to addr:port; the socket
 * error (ETIMEDOUT when nothing came back in time) in *ret_err and -1 otherwise. */
static int dial(const char *ns, bool udp, const char *addr, unsigned port, int *ret_err)
{
	struct sockaddr_storage ss;
	socklen_t sl = mkaddr(addr, port, &ss);
	int fd = ns_socket(ns, ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t el = sizeof(*ret_err);

	*ret_err = 0;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		*ret_err = errno;
	else if (!udp && poll(&p, 1, CONNECT_MS) != 1)
		*ret_err = ETIMEDOUT;
	else if (!udp && getsockopt(fd, SOL_SOCKET, SO_ERROR, ret_err, &el) < 0)
		*ret_err = errno;
	if (*ret_err) {
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_connect_error(const char *ns, const char *addr, unsigned port)
{
	int err, fd = dial(ns, false, addr, port, &err);

	if (fd >= 0)
		close(fd);
	return err;
}

enum reach_result reach(const char *ns, bool udp, const char *addr, unsigned port, int srv,
			char *seen, size_t seenlen)
{
	static unsigned exchanges;
	struct sockaddr_storage peer;
	enum reach_result r;
	char token[48], buf[64];
	int err, fd = dial(ns, udp, addr, port, &err);

	/* A refused or unanswered handshake never put anything in srv's queue. */
	if (fd < 0)
		return REACH_NONE;
	snprintf(token, sizeof(token), "ping %d.%u", (int)getpid(), ++exchanges);
	if (send(fd, token, strlen(token), 0) != (ssize_t)strlen(token)) {
		close(fd);
		return REACH_NONE;
	}
	r = serve(srv, udp, token, &peer);
	if (r == REACH_REQUEST && wait_in(fd, ANSWER_MS) && recv(fd, buf, sizeof(buf), 0) == 4 &&
	    !memcmp(buf, "pong", 4))
		r = REACH_ANSWERED;
	if (r == REACH_ANSWERED && seen)
		peer_text(&peer, seen, seenlen);
	close(fd);
	return r;
}

static const char *result_text(enum reach_result r)
{
	switch (r) {
	case REACH_NONE: return "the server never got the request";
	case REACH_REQUEST: return "the server got the request, its answer did not come back";
	case REACH_ANSWERED: return "answered";
	}
	return "?";
}

void expect_reach_at(const char *file, int line, const char *from, bool udp, const char *addr,
		     unsigned port, int srv, const char *want_src)
{
	char seen[64] = "";
	enum reach_result r = reach(from, udp, addr, port, srv, seen, sizeof(seen));

	cr_expect(r == REACH_ANSWERED, "%s:%d: %s -> %s %s:%u: %s", file, line,
		  from ? from : "host", udp ? "udp" : "tcp", addr, port, result_text(r));
	if (r == REACH_ANSWERED && want_src)
		cr_expect_str_eq(seen, want_src, "%s:%d: %s -> %s %s:%u: the server saw %s, not %s",
				 file, line, from ? from : "host", udp ? "udp" : "tcp", addr, port,
				 seen, want_src);
}

void expect_no_reach_at(const char *file, int line, const char *from, bool udp, const char *addr,
			unsigned port, int srv)
{
	enum reach_result r = reach(from, udp, addr, port, srv, NULL, 0);

	cr_expect(r == REACH_NONE, "%s:%d: %s -> %s %s:%u: must not reach the server, but %s", file,
		  line, from ? from : "host", udp ? "udp" : "tcp", addr, port, result_text(r));
}
