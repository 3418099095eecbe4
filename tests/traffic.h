/* SPDX-License-Identifier: MIT */
/*
 * Real TCP and UDP traffic across the namespaces of a kernel test: sockets created in a named
 * network namespace (/run/netns/NAME) without the test process leaving its own, small servers,
 * one request/answer exchange through whatever NAT lies between, and the "outside" host
 * namespace the forward tests connect from.
 *
 * Every helper fails the current Criterion test when it cannot set itself up (a socket, a bind,
 * a namespace that cannot be entered); the exchange itself only reports what happened. File
 * descriptors returned are owned by the caller; nothing here sleeps: every wait is a poll()
 * with a bound.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The outside host: namespace OUT_NS joined to the test's host namespace by the veth pair
 * veo (host side: OUT_HOST4/24, OUT_HOST6/64) <-> eth0 (in OUT_NS: OUT_PEER4, OUT_PEER6), with
 * routes back to 10.0.0.0/8 and fd00::/8 through the host, so containers that are not
 * masqueraded can be answered. Returns once both ends are operationally up and their IPv6
 * link-local addresses past DAD.
 */
#define OUT_NS "out"
#define OUT_HOST4 "192.168.7.1"
#define OUT_HOST6 "fd07::1"
#define OUT_PEER4 "192.168.7.2"
#define OUT_PEER6 "fd07::2"
void outside_add(void);

/* A socket (CLOEXEC) created in netns ns (NULL: the caller's). It stays in that namespace. */
int ns_socket(const char *ns, int family, int type);

/* A listening TCP or bound UDP socket in ns on addr:port ("0.0.0.0", "::": v6 only). */
int server(const char *ns, bool udp, const char *addr, unsigned port);

enum reach_result {
	REACH_NONE,     /* the server never got the request */
	REACH_REQUEST,  /* the server got the request (UDP) but its answer did not come back */
	REACH_ANSWERED, /* the whole exchange completed */
};

/*
 * From ns (NULL: the caller's namespace) to addr:port over TCP or UDP: connect and send a
 * request that names this exchange, see whether srv (a server() socket) gets it, answer from
 * srv and see whether the answer comes back the way the request went (through the NAT). What
 * earlier exchanges left on srv is dropped, never taken for this one. When the exchange
 * completed, *seen (when not NULL) gets the source address the server saw.
 */
enum reach_result reach(const char *ns, bool udp, const char *addr, unsigned port, int srv,
			char *seen, size_t seenlen);

/*
 * TCP connect from ns to addr:port: 0 when the handshake completed, else the socket error
 * (ECONNREFUSED for a reset, ETIMEDOUT when nothing came back within the bound).
 */
int tcp_connect_error(const char *ns, const char *addr, unsigned port);

/*
 * Expect the exchange to complete (and, when want_src is not NULL, the server to have seen
 * that source address), or the server to see nothing at all. A failure names the caller's
 * file and line.
 */
void expect_reach_at(const char *file, int line, const char *from, bool udp, const char *addr,
		     unsigned port, int srv, const char *want_src);
void expect_no_reach_at(const char *file, int line, const char *from, bool udp, const char *addr,
			unsigned port, int srv);
#define expect_reach(...) expect_reach_at(__FILE__, __LINE__, __VA_ARGS__)
#define expect_no_reach(...) expect_no_reach_at(__FILE__, __LINE__, __VA_ARGS__)
