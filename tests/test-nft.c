/* SPDX-License-Identifier: MIT */
/*
 * nftables executor. Unit part: the batches built for a declared state, decoded message by
 * message, without a kernel. Kernel part (suite nft_kernel, each test in a fresh sandbox): a
 * host namespace (the sandbox) with two containers (namespaces ct and ct2 on veths ve-ct and
 * ve-ct2) and an "outside" namespace on veo; nft.c called directly; real TCP and UDP traffic
 * through sockets created in each namespace; `nft -j list ruleset` for the layout.
 */
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "forward.h"
#include "harness.h"
#include "nftbatch.h"
#include "nft.h"
#include "sysctl.h"
#include "traffic.h"

static struct forward_set *plan(const char *text)
{
	struct conf *c = NULL;
	struct forward_set *s = NULL;
	int r = conf_parse_string("t.conf", text, &c);

	for (size_t i = 0; r && c && i < c->n_errors; i++)
		cr_log_error("%s", c->errors[i]);
	cr_assert_eq(r, 0, "config rejected");
	cr_assert_eq(forward_set_build(c, NULL, NULL, &s), 0);
	conf_free(c);
	return s;
}

/* ---- unit: batch contents ---- */

struct batch_summary {
	char types[4096]; /* "BEGIN NEWTABLE DELTABLE ..." */
	unsigned n_msgs, n_sets, n_chains, n_rules;
	unsigned elems_add, elems_del, max_elems_per_msg;
	char elem_sets[512]; /* "+fwd4:2 -ct4:1 ..." */
	bool seqs_ok;
};

static const char *short_type(uint16_t t)
{
	switch (t) {
	case NFNL_MSG_BATCH_BEGIN: return "BEGIN";
	case NFNL_MSG_BATCH_END: return "END";
	}
	switch (t & 0xff) {
	case NFT_MSG_NEWTABLE: return "NEWTABLE";
	case NFT_MSG_DELTABLE: return "DELTABLE";
	case NFT_MSG_NEWSET: return "NEWSET";
	case NFT_MSG_NEWCHAIN: return "NEWCHAIN";
	case NFT_MSG_NEWRULE: return "NEWRULE";
	case NFT_MSG_NEWSETELEM: return "NEWSETELEM";
	case NFT_MSG_DELSETELEM: return "DELSETELEM";
	}
	return "?";
}

static void summarize(const struct nft_batch *b, struct batch_summary *s)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b->buf;
	int left = (int)b->len;
	uint32_t seq = b->seq_first;

	memset(s, 0, sizeof(*s));
	s->seqs_ok = true;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t t = nlh->nlmsg_type;
		const char *name = short_type(t);

		s->seqs_ok = s->seqs_ok && nlh->nlmsg_seq == seq++;
		s->n_msgs++;
		/* Element messages are many: one entry per set in order of appearance. */
		if ((t >> 8) == NFNL_SUBSYS_NFTABLES &&
		    ((t & 0xff) == NFT_MSG_NEWSETELEM || (t & 0xff) == NFT_MSG_DELSETELEM)) {
			const struct nlattr *a;
			const char *set = "?";
			unsigned n = 0;
			char one[64];

			/* Decoded by hand: libnftnl's parser is for the kernel's replies. */
			mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
				const struct nlattr *el;

				if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
					set = mnl_attr_get_str(a);
				if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
					/* libnftnl numbers the element nests 1, 2, ...;
					 * the kernel takes any type there. */
					mnl_attr_for_each_nested(el, a)
						n++;
			}
			if (n > s->max_elems_per_msg)
				s->max_elems_per_msg = n;
			if ((t & 0xff) == NFT_MSG_NEWSETELEM)
				s->elems_add += n;
			else
				s->elems_del += n;
			snprintf(one, sizeof(one), "%s%c%s:%u", *s->elem_sets ? " " : "",
				 (t & 0xff) == NFT_MSG_NEWSETELEM ? '+' : '-', set, n);
			strncat(s->elem_sets, one, sizeof(s->elem_sets) - strlen(s->elem_sets) - 1);
			continue;
		}
		if ((t & 0xff) == NFT_MSG_NEWSET && t != NFNL_MSG_BATCH_BEGIN)
			s->n_sets++;
		if ((t & 0xff) == NFT_MSG_NEWCHAIN && t != NFNL_MSG_BATCH_BEGIN)
			s->n_chains++;
		if ((t & 0xff) == NFT_MSG_NEWRULE && t != NFNL_MSG_BATCH_BEGIN)
			s->n_rules++;
		if (strcmp(name, "NEWSET") && strcmp(name, "NEWCHAIN") && strcmp(name, "NEWRULE")) {
			strncat(s->types, *s->types ? " " : "", sizeof(s->types) - strlen(s->types) - 1);
			strncat(s->types, name, sizeof(s->types) - strlen(s->types) - 1);
		}
	}
	cr_expect_eq(left, 0, "trailing bytes in the batch");
}

#define CT_WEB                                                                                \
	"[Container web]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\nLocalAddress=10.0.0.2\n"    \
	"HostAddress6=fd00::1\nLocalAddress6=fd00::2\n"

Test(nft, full_batch_contents)
{
	struct forward_set *s = plan(CT_WEB "ForwardPort=8080:80 udp:5353 192.0.2.1:9000-9001\n"
					    "Masquerade=ipv4\n");
	struct nft_batch b;
	struct batch_summary sum;

	cr_assert_eq(nftbatch_full(s, 100, &b), 0);
	summarize(&b, &sum);
	cr_expect_str_eq(sum.types, "BEGIN NEWTABLE DELTABLE NEWTABLE END");
	cr_expect_eq(sum.n_sets, 10);
	cr_expect_eq(sum.n_chains, 5);
	cr_expect_eq(sum.n_rules, nftlayout_rule_count());
	cr_expect_str_eq(sum.elem_sets, "+ct4:1 +ct6:1 +masq4:1 +masqown4:1 +fwd4:2 +fwd6:2 +fwd4a:2");
	cr_expect(sum.seqs_ok, "consecutive sequence numbers from 100");
	cr_expect_eq(b.seq_first, 100);
	cr_expect_eq(b.n_acks, sum.n_msgs - 2, "every message but BEGIN/END is ACKed");
	cr_expect_eq(b.n_elements, 10);
	nftbatch_done(&b);
	forward_set_free(s);
}

Test(nft, diff_batch_contents)
{
	struct forward_set *a = plan(CT_WEB "ForwardPort=8080:80 81 udp:53\n");
	struct forward_set *b2 = plan(CT_WEB "ForwardPort=8080:8000 81 udp:54\n");
	struct nft_batch b;
	struct batch_summary sum;

	cr_assert_eq(nftbatch_diff(a, a, 1, &b), 0);
	cr_expect_eq(b.n_acks, 0, "unchanged: nothing to send");
	cr_expect_eq(b.n_elements, 0);
	nftbatch_done(&b);

	cr_assert_eq(nftbatch_diff(a, b2, 1, &b), 0);
	summarize(&b, &sum);
	/* 8080 changes value (delete + add of the key), udp 53 -> 54; tcp 81 is untouched. */
	cr_expect_str_eq(sum.elem_sets, "-fwd4:2 -fwd6:2 +fwd4:2 +fwd6:2");
	cr_expect_eq(sum.elems_del, 4);
	cr_expect_eq(sum.elems_add, 4);
	cr_expect_str_eq(sum.types, "BEGIN END");
	cr_expect_eq(sum.n_rules + sum.n_sets + sum.n_chains, 0, "a diff touches elements only");
	nftbatch_done(&b);
	forward_set_free(a);
	forward_set_free(b2);
}

Test(nft, big_batch_is_chunked)
{
	struct forward_set *s = plan("[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
				     "ForwardPort=1000-10999\n");
	struct nft_batch b;
	struct batch_summary sum;

	cr_assert_eq(nftbatch_full(s, 1, &b), 0);
	summarize(&b, &sum);
	cr_expect_eq(sum.elems_add, 10001);
	cr_expect_leq(sum.max_elems_per_msg, 512);
	cr_expect_eq(sum.n_rules, nftlayout_rule_count(), "rule count does not grow with forwards");
	nftbatch_done(&b);
	forward_set_free(s);
}

/* ---- kernel ---- */

TestSuite(nft_kernel, .init = sandbox_enter, .fini = sandbox_leave, .timeout = 120);

/* Host = the sandbox; ct, ct2 containers; the outside host of traffic.h on 192.168.7.0/24. */
/* The test's /proc/sys/net, once per test process (each test has a namespace of its own). */
static int test_sysctl_dir(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = sysctl_dir_open();
	cr_assert_geq(fd, 0, "/proc/sys/net: %s", strerror(-fd));
	return fd;
}

static void topology(void)
{
	sh_ok("ip netns add ct && ip netns add ct2");
	sh_ok("ip link add ve-ct type veth peer name host0 netns ct && "
	      "ip link add ve-ct2 type veth peer name host0 netns ct2");
	sh_ok("ip addr add 10.0.0.1/32 dev ve-ct && ip -6 addr add fd00::1/128 dev ve-ct nodad && "
	      "ip link set ve-ct up && ip route add 10.0.0.2/32 dev ve-ct && "
	      "ip -6 route add fd00::2/128 dev ve-ct");
	sh_ok("ip addr add 10.0.1.1/32 dev ve-ct2 && ip -6 addr add fd01::1/128 dev ve-ct2 nodad && "
	      "ip link set ve-ct2 up && ip route add 10.0.1.2/32 dev ve-ct2 && "
	      "ip -6 route add fd01::2/128 dev ve-ct2");
	for (int i = 0; i < 2; i++) {
		const char *ns = i ? "ct2" : "ct", *h4 = i ? "10.0.1.1" : "10.0.0.1";
		const char *l4 = i ? "10.0.1.2" : "10.0.0.2", *h6 = i ? "fd01::1" : "fd00::1";
		const char *l6 = i ? "fd01::2" : "fd00::2";

		sh_ok("ip -n %s link set lo up && ip -n %s link set host0 up && "
		      "ip -n %s addr add %s/32 dev host0 && ip -n %s -6 addr add %s/128 dev host0 nodad && "
		      "ip -n %s route add %s/32 dev host0 && ip -n %s route add default via %s && "
		      "ip -n %s -6 route add %s/128 dev host0 && ip -n %s -6 route add default via %s",
		      ns, ns, ns, l4, ns, l6, ns, h4, ns, h4, ns, h6, ns, h6);
	}
	outside_add();
	cr_assert_geq(sysctl_forwarding_enable(test_sysctl_dir(), true, true), 0);
}

static void install(struct nft *n, const struct forward_set *s)
{
	struct nl_err e = {};
	int r = nft_sync(n, s, &e);

	cr_assert_geq(r, 0, "nft_sync: %s (%s)", strerror(-r), e.msg);
}

static struct nft *nft_open(void)
{
	struct nft *n = NULL;

	cr_assert_eq(nft_new(&n), 0);
	return n;
}

#define CT_CONF                                                                               \
	"[Container ct]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\nLocalAddress=10.0.0.2\n"     \
	"HostAddress6=fd00::1\nLocalAddress6=fd00::2\nMasquerade=yes\n"                         \
	"ForwardPort=8080:80 udp:5353:53 7000-7002:7100-7102 192.168.7.1:9090:80\n"            \
	"[Container ct2]\nPrivateNetwork=yes\nHostAddress=10.0.1.1\nLocalAddress=10.0.1.2\n"    \
	"HostAddress6=fd01::1\nLocalAddress6=fd01::2\nForwardPort=8081:80\n"

Test(nft_kernel, forwards_carry_real_traffic)
{
	struct forward_set *s = plan(CT_CONF);
	struct nft *n = nft_open();
	int t4, t6, u4, u6, r4[3], other;

	topology();
	t4 = server("ct", false, "0.0.0.0", 80);
	t6 = server("ct", false, "::", 80);
	u4 = server("ct", true, "0.0.0.0", 53);
	u6 = server("ct", true, "::", 53);
	other = server("ct", false, "0.0.0.0", 8082);
	install(n, s);
	cr_expect_eq(sysctl_localnet_enable(test_sysctl_dir(), "ve-ct"), 1, "route_localnet was off");
	cr_expect_eq(sysctl_localnet_enable(test_sysctl_dir(), "ve-ct"), 0, "and is on now");
	for (int i = 0; i < 3; i++)
		r4[i] = server("ct", false, "0.0.0.0", 7100 + i);

	/* From another host, both families, both protocols. */
	expect_reach("out", false, "192.168.7.1", 8080, t4, "192.168.7.2");
	expect_reach("out", false, "fd07::1", 8080, t6, "fd07::2");
	expect_reach("out", true, "192.168.7.1", 5353, u4, "192.168.7.2");
	expect_reach("out", true, "fd07::1", 5353, u6, "fd07::2");
	/* From the host itself through its own addresses, and through 127.0.0.1. */
	expect_reach(NULL, false, "192.168.7.1", 8080, t4, NULL);
	expect_reach(NULL, false, "fd07::1", 8080, t6, NULL);
	expect_reach(NULL, true, "10.0.1.1", 5353, u4, NULL);
	expect_reach(NULL, false, "127.0.0.1", 8080, t4, "10.0.0.1");
	expect_reach(NULL, true, "127.0.0.1", 5353, u4, "10.0.0.1");
	/* A range forwards every port of it. */
	for (int i = 0; i < 3; i++)
		expect_reach("out", false, "192.168.7.1", 7000 + i, r4[i], NULL);
	/* HOSTADDR: only on that address. */
	expect_reach("out", false, "192.168.7.1", 9090, t4, NULL);
	expect_no_reach(NULL, false, "10.0.0.1", 9090, t4);
	/* Not declared: not forwarded (the container listens there, the host does not). */
	expect_no_reach("out", false, "192.168.7.1", 8082, other);
	expect_no_reach("out", true, "192.168.7.1", 5354, u4);
	/* Hairpin: the container reaches itself and ct2 reaches it, through the host. */
	expect_reach("ct", false, "192.168.7.1", 8080, t4, "10.0.0.1");
	expect_reach("ct2", false, "192.168.7.1", 8080, t4, "10.0.0.1");
	expect_reach("ct", false, "fd07::1", 8080, t6, "fd00::1");
	nft_free(n);
	forward_set_free(s);
}

Test(nft_kernel, masquerade_only_declared_containers)
{
	struct forward_set *s = plan(CT_CONF);
	struct nft *n = nft_open();
	int t4, t6;

	topology();
	t4 = server("out", false, "0.0.0.0", 5000);
	t6 = server("out", false, "::", 5000);
	install(n, s);
	/* ct has Masquerade=yes: the outside sees the host; ct2 has none: it is seen as itself. */
	expect_reach("ct", false, "192.168.7.2", 5000, t4, "192.168.7.1");
	expect_reach("ct", false, "fd07::2", 5000, t6, "fd07::1");
	expect_reach("ct2", false, "192.168.7.2", 5000, t4, "10.0.1.2");
	expect_reach("ct2", false, "fd07::2", 5000, t6, "fd01::2");
	nft_free(n);
	forward_set_free(s);
}

static char *ruleset(void)
{
	return sh_out("nft -j list ruleset");
}

static long rule_count(void)
{
	return sh_num("nft -j list table inet netd | jq '[.nftables[] | select(.rule)] | length'");
}

Test(nft_kernel, diff_changes_only_changed_elements)
{
	struct forward_set *a = plan(CT_CONF), *b;
	struct nft *n = nft_open();
	struct nl_err e = {};
	char *conf2 = strdup(CT_CONF), *p = strstr(conf2, "8080:80");
	int t4;

	topology();
	t4 = server("ct", false, "0.0.0.0", 80);
	install(n, a);
	memcpy(p, "8088:80", 7);
	b = plan(conf2);
	cr_expect_eq(nft_sync(n, a, &e), 0, "unchanged: nothing sent");
	/* 8080 -> 8088: for each family one delete, one add. */
	cr_expect_eq(nft_sync(n, b, &e), 4);
	expect_reach("out", false, "192.168.7.1", 8088, t4, NULL);
	expect_no_reach("out", false, "192.168.7.1", 8080, t4);
	cr_expect_eq(rule_count(), (long)nftlayout_rule_count());
	nft_free(n);
	forward_set_free(a);
	forward_set_free(b);
	free(conf2);
}

Test(nft_kernel, restart_adopts_without_change)
{
	struct forward_set *s = plan(CT_CONF), *only_ct;
	struct nft *n = nft_open(), *n2, *n3;
	struct nl_err e = {};
	_cleanup_free_ char *before = NULL, *after = NULL, *stale = NULL;
	int t4;

	topology();
	t4 = server("ct", false, "0.0.0.0", 80);
	install(n, s);
	before = ruleset();
	nft_free(n); /* SIGKILL: nothing is cleaned up, the table stays */
	expect_reach("out", false, "192.168.7.1", 8080, t4, NULL);

	n2 = nft_open();
	cr_expect_eq(nft_sync(n2, s, &e), 0, "adoption of an identical table sends nothing");
	after = ruleset();
	cr_expect_str_eq(after, before, "nft -j list ruleset differs after restart");
	nft_free(n2);

	/* ct2 vanished while netd was down: its elements go, nothing else changes. */
	only_ct = plan("[Container ct]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\n"
		       "LocalAddress=10.0.0.2\nHostAddress6=fd00::1\nLocalAddress6=fd00::2\n"
		       "Masquerade=yes\n"
		       "ForwardPort=8080:80 udp:5353:53 7000-7002:7100-7102 192.168.7.1:9090:80\n");
	n3 = nft_open();
	cr_expect_eq(nft_sync(n3, only_ct, &e), 4, "fwd4/fwd6 8081 and ct4/ct6 of ct2");
	stale = sh_out("nft list table inet netd");
	cr_expect(!strstr(stale, "8081") && !strstr(stale, "10.0.1.2"), "stale elements:\n%s", stale);
	expect_reach("out", false, "192.168.7.1", 8080, t4, NULL);
	nft_free(n3);
	forward_set_free(s);
	forward_set_free(only_ct);
}

Test(nft_kernel, foreign_table_untouched)
{
	struct forward_set *s = plan(CT_CONF), *empty;
	struct nft *n = nft_open();
	struct nl_err e = {};
	_cleanup_free_ char *before = NULL, *after = NULL;

	sh_ok("nft 'add table ip foreign; add set ip foreign s { type ipv4_addr; elements = { 1.2.3.4 } }; "
	      "add chain ip foreign c { type filter hook input priority 0; policy accept; }; "
	      "add rule ip foreign c tcp dport 22 counter accept'");
	before = sh_out("nft -j list table ip foreign");
	install(n, s);
	cr_assert_eq(forward_set_new(&empty), 0);
	install(n, empty);
	cr_assert_eq(nft_delete_table(n, &e), 0, "%s", e.msg);
	install(n, s);
	after = sh_out("nft -j list table ip foreign");
	cr_expect_str_eq(after, before);
	nft_free(n);
	forward_set_free(s);
	forward_set_free(empty);
}

Test(nft_kernel, flush_ruleset_recovery)
{
	struct forward_set *s = plan(CT_CONF), *b;
	struct nft *n = nft_open();
	_cleanup_free_ char *before = NULL, *after = NULL;
	char *conf2 = strdup(CT_CONF);
	int t4;

	topology();
	t4 = server("ct", false, "0.0.0.0", 80);
	install(n, s);
	before = sh_out("nft list table inet netd");
	sh_ok("nft flush ruleset");
	expect_no_reach("out", false, "192.168.7.1", 8080, t4);
	/* The next change finds the table gone (-ENOENT) and recreates all of it. */
	memcpy(strstr(conf2, "8081:80"), "8089:80", 7);
	b = plan(conf2);
	install(n, b);
	expect_reach("out", false, "192.168.7.1", 8080, t4, NULL);
	expect_reach("out", false, "192.168.7.1", 8089, server("ct2", false, "0.0.0.0", 80), NULL);
	/* SIGHUP path: invalidate, then the same state comes back. */
	sh_ok("nft delete table inet netd");
	nft_invalidate(n);
	install(n, s);
	after = sh_out("nft list table inet netd");
	cr_expect_str_eq(after, before);
	nft_free(n);
	forward_set_free(s);
	forward_set_free(b);
	free(conf2);
}

Test(nft_kernel, tampered_table_is_replaced)
{
	struct forward_set *s = plan(CT_CONF);
	struct nft *n = nft_open(), *n2;
	_cleanup_free_ char *before = NULL, *after = NULL;

	install(n, s);
	before = sh_out("nft list table inet netd");
	nft_free(n);
	/* A stray element, and a chain whose rules were swapped for as many others: a restart
	 * restores netd's exact table. Then a stray rule in one of netd's chains. */
	sh_ok("nft add element inet netd fwd4 '{ tcp . 1 : 10.9.9.9 . 1 }' && "
	      "nft flush chain inet netd guard && "
	      "nft add rule inet netd guard counter && nft add rule inet netd guard counter");
	n2 = nft_open();
	install(n2, s);
	after = sh_out("nft list table inet netd");
	cr_expect_str_eq(after, before);
	nft_free(n2);
	free(after);
	sh_ok("nft add rule inet netd postrouting counter");
	n2 = nft_open();
	install(n2, s);
	after = sh_out("nft list table inet netd");
	cr_expect_str_eq(after, before);
	nft_free(n2);
	forward_set_free(s);
}

/* Not a timed assertion: the numbers go to the log. */
Test(nft_kernel, install_time_and_constant_rules)
{
	for (unsigned count = 1000; count <= 10000; count *= 10) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct forward_set *s;
		struct nft *n = nft_open();
		struct timespec t0, t1;

		fprintf(f, "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
			   "LocalAddress6=fd00::2\n");
		for (unsigned i = 0; i < count; i++)
			fprintf(f, "ForwardPort=%s:%u:80\n", i % 2 ? "udp" : "tcp", 20000 + i);
		fclose(f);
		s = plan(text);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		install(n, s);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		cr_log_info("installed %u forwards (%zu elements, both families) in one batch: %.1f ms",
			    count, s->n,
			    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		cr_expect_eq(rule_count(), (long)nftlayout_rule_count());
		cr_expect_eq(sh_num("nft -j list map inet netd fwd4 | jq '.nftables[1].map.elem | length'"),
			     (long)count);
		nft_free(n);
		forward_set_free(s);
		free(text);
	}
}

/*
 * A sync with nothing new to send still notices that someone else changed the table: the
 * ruleset generation moved, so the table is read again and what was taken is put back. With
 * the generation unchanged, nothing is read and nothing is sent.
 */
Test(nft_kernel, hand_edits_repaired_by_the_next_sync)
{
	struct forward_set *a = plan(CT_CONF);
	struct nft *n = nft_open();
	struct nl_err e = {};

	install(n, a);
	cr_expect_eq(nft_sync(n, a, &e), 0, "unchanged: nothing sent");
	sh_ok("nft delete element inet netd fwd4 '{ tcp . 8080 }'");
	cr_expect_eq(nft_sync(n, a, &e), 1, "the element taken by hand is put back");
	sh_ok("nft list map inet netd fwd4 | grep -q 'tcp . 8080 : 10.0.0.2 . 80'");
	sh_ok("nft add table ip unrelated");
	cr_expect_eq(nft_sync(n, a, &e), 0, "an unrelated change leaves nothing to send");
	nft_free(n);
	forward_set_free(a);
}
