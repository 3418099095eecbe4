/* SPDX-License-Identifier: MIT */
/* Forward planner: element sets from configs (ranges, HOSTADDR, families, masquerade,
 * active containers), the diff of two sets, the FORWARDS= text. Pure, no kernel. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "forward.h"

static struct conf *parse(const char *text)
{
	struct conf *c = NULL;
	int r = conf_parse_string("t.conf", text, &c);

	if (r != 0)
		for (size_t i = 0; c && i < c->n_errors; i++)
			cr_log_error("%s", c->errors[i]);
	cr_assert_eq(r, 0, "config rejected");
	return c;
}

static struct forward_set *build(const struct conf *c, forward_active_fn fn, void *ud)
{
	struct forward_set *s = NULL;

	cr_assert_eq(forward_set_build(c, fn, ud, &s), 0);
	return s;
}

/* All elements as text, one per line, in set order. */
static char *dump(const struct forward_set *s)
{
	char *text = NULL, line[160];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s\n", forward_elem_to_string(&s->elems[i], line, sizeof(line)));
	fclose(f);
	return text;
}

#define WEB                                                                                   \
	"[Container web]\nPrivateNetwork=yes\nHostAddress=10.0.0.1\nLocalAddress=10.0.0.2/24\n" \
	"HostAddress6=fd00::1\nLocalAddress6=fd00::2/64\n"

Test(forward, elements_from_config)
{
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
		{ "single port both families", WEB "ForwardPort=8080:80\n",
		  "dnat tcp 8080 -> 10.0.0.2:80\ndnat tcp 8080 -> [fd00::2]:80\n"
		  "container 10.0.0.2\ncontainer fd00::2\n" },
		{ "udp, container port defaults to host port",
		  "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\nForwardPort=udp:53\n",
		  "dnat udp 53 -> 10.0.0.2:53\ncontainer 10.0.0.2\n" },
		{ "range expanded port by port",
		  "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
		  "ForwardPort=tcp:7000-7002:8000-8002\n",
		  "dnat tcp 7000 -> 10.0.0.2:8000\ndnat tcp 7001 -> 10.0.0.2:8001\n"
		  "dnat tcp 7002 -> 10.0.0.2:8002\ncontainer 10.0.0.2\n" },
		{ "HOSTADDR v4 reaches the v4 container address only",
		  WEB "ForwardPort=192.0.2.1:9090:80\n",
		  "dnat tcp 192.0.2.1:9090 -> 10.0.0.2:80\ncontainer 10.0.0.2\ncontainer fd00::2\n" },
		{ "HOSTADDR v6", WEB "ForwardPort=udp:[2001:db8::1]:5353\n",
		  "dnat udp [2001:db8::1]:5353 -> [fd00::2]:5353\ncontainer 10.0.0.2\n"
		  "container fd00::2\n" },
		{ "masquerade yes: both families, own link excluded", WEB "Masquerade=yes\n",
		  "container 10.0.0.2\ncontainer fd00::2\nmasquerade 10.0.0.2 not via ve-web\n"
		  "masquerade fd00::2 not via ve-web\n" },
		{ "masquerade ipv6 only", WEB "Masquerade=ipv6\n",
		  "container 10.0.0.2\ncontainer fd00::2\nmasquerade fd00::2 not via ve-web\n" },
		{ "bridge mode: the bridge is the own link",
		  "[Container b]\nPrivateNetwork=yes\nHostBridge=br0\nLocalAddress=10.1.0.5/24\n"
		  "Masquerade=yes\n",
		  "container 10.1.0.5\nmasquerade 10.1.0.5 not via br0\n" },
		{ "no PrivateNetwork: nothing",
		  "[Container a]\nLocalAddress=10.0.0.2\nForwardPort=80\nMasquerade=yes\n", "" },
		{ "sorted across containers",
		  "[Container b]\nPrivateNetwork=yes\nLocalAddress=10.0.0.3\nForwardPort=udp:90 81\n"
		  "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\nForwardPort=80\n",
		  "dnat tcp 80 -> 10.0.0.2:80\ndnat tcp 81 -> 10.0.0.3:81\n"
		  "dnat udp 90 -> 10.0.0.3:90\ncontainer 10.0.0.2\ncontainer 10.0.0.3\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct conf *c = parse(cases[i].text);
		struct forward_set *s = build(c, NULL, NULL);
		char *got = dump(s);

		cr_expect_str_eq(got, cases[i].want, "case %s", cases[i].name);
		free(got);
		forward_set_free(s);
		conf_free(c);
	}
}

static bool only_b(const struct conf_container *ct, void *userdata)
{
	(void)userdata;
	return strcmp(ct->name, "b") == 0;
}

Test(forward, only_active_containers)
{
	struct conf *c = parse("[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
			       "ForwardPort=80\nMasquerade=yes\n"
			       "[Container b]\nPrivateNetwork=yes\nLocalAddress=10.0.0.3\n"
			       "ForwardPort=81\n");
	struct forward_set *s = build(c, only_b, NULL);
	char *got = dump(s);

	cr_expect_str_eq(got, "dnat tcp 81 -> 10.0.0.3:81\ncontainer 10.0.0.3\n");
	cr_expect(!forward_set_needs_ipv6(s));
	cr_expect(forward_set_needs_ipv4(s));
	free(got);
	forward_set_free(s);
	conf_free(c);
}

static void diff_text(const struct forward_set *a, const struct forward_set *b, int want_n,
		      const char *want_del, const char *want_add, const char *name)
{
	struct forward_set *del = NULL, *add = NULL;
	char *d, *ad;
	int n = forward_diff(a, b, &del, &add);

	cr_expect_eq(n, want_n, "case %s: %d changes", name, n);
	d = dump(del);
	ad = dump(add);
	cr_expect_str_eq(d, want_del, "case %s: deletes", name);
	cr_expect_str_eq(ad, want_add, "case %s: adds", name);
	free(d);
	free(ad);
	forward_set_free(del);
	forward_set_free(add);
}

Test(forward, diff)
{
	const char *base = "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n";
	char t1[512], t2[512], t3[512];
	struct conf *c1, *c2, *c3;
	struct forward_set *s1, *s2, *s3, *empty;

	snprintf(t1, sizeof(t1), "%sForwardPort=80 81 udp:53\n", base);
	/* 81 changes its target port, 80 goes, 82 comes, udp:53 stays. */
	snprintf(t2, sizeof(t2), "%sForwardPort=81:8081 82 udp:53\n", base);
	snprintf(t3, sizeof(t3), "%sForwardPort=udp:53 81 80\n", base);
	c1 = parse(t1);
	c2 = parse(t2);
	c3 = parse(t3);
	s1 = build(c1, NULL, NULL);
	s2 = build(c2, NULL, NULL);
	s3 = build(c3, NULL, NULL);
	cr_assert_eq(forward_set_new(&empty), 0);

	diff_text(s1, s1, 0, "", "", "identical");
	diff_text(s1, s3, 0, "", "", "same forwards in another order");
	diff_text(s1, s2, 4, "dnat tcp 80 -> 10.0.0.2:80\ndnat tcp 81 -> 10.0.0.2:81\n",
		  "dnat tcp 81 -> 10.0.0.2:8081\ndnat tcp 82 -> 10.0.0.2:82\n", "changed");
	diff_text(empty, s1, 4, "",
		  "dnat tcp 80 -> 10.0.0.2:80\ndnat tcp 81 -> 10.0.0.2:81\n"
		  "dnat udp 53 -> 10.0.0.2:53\ncontainer 10.0.0.2\n",
		  "from nothing");
	diff_text(s1, empty, 4,
		  "dnat tcp 80 -> 10.0.0.2:80\ndnat tcp 81 -> 10.0.0.2:81\n"
		  "dnat udp 53 -> 10.0.0.2:53\ncontainer 10.0.0.2\n",
		  "", "container gone");

	forward_set_free(s1);
	forward_set_free(s2);
	forward_set_free(s3);
	forward_set_free(empty);
	conf_free(c1);
	conf_free(c2);
	conf_free(c3);
}

Test(forward, state_text)
{
	struct conf *c = parse("[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
			       "LocalAddress6=fd00::2\n"
			       "ForwardPort=8080:80 udp:5353 192.0.2.1:7000-7009:8000-8009 "
			       "[2001:db8::1]:443\n[Container b]\nPrivateNetwork=yes\n");
	char *text = NULL;

	cr_assert_eq(forward_state_text(&c->containers[0], &text), 0);
	cr_expect_str_eq(text, "tcp:8080:80 udp:5353:5353 tcp:192.0.2.1:7000-7009:8000-8009 "
			       "tcp:[2001:db8::1]:443:443");
	free(text);
	cr_assert_eq(forward_state_text(&c->containers[1], &text), 0);
	cr_expect_str_eq(text, "");
	free(text);
	conf_free(c);
}

/* 10,000 forwards (and 65,535 ports of one range, per family) plan in well under a second:
 * the build is N log N and the diff linear. Printed, not asserted. */
Test(forward, large_sets_are_fast)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct timespec t0, t1;
	struct forward_set *s, *s2, *del, *add;
	struct conf *c;

	fprintf(f, "[Container a]\nPrivateNetwork=yes\nLocalAddress=10.0.0.2\n"
		   "LocalAddress6=fd00::2\nForwardPort=udp:1-65535\n");
	for (unsigned i = 0; i < 100; i++) {
		fprintf(f, "[Container c%u]\nPrivateNetwork=yes\nLocalAddress=10.1.%u.%u\n", i,
			i / 200, i % 200 + 1);
		for (unsigned k = 0; k < 100; k++)
			fprintf(f, "ForwardPort=%u:80\n", 1000 + i * 100 + k);
	}
	fclose(f);
	c = parse(text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = build(c, NULL, NULL);
	s2 = build(c, NULL, NULL);
	cr_assert_geq(forward_diff(s, s2, &del, &add), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_expect_eq(forward_set_count(s, FORWARD_DNAT, 0), 2 * 65535 + 10000);
	cr_expect_eq(del->n + add->n, 0);
	cr_log_info("planned %zu elements twice and diffed them in %.1f ms", s->n,
		    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	forward_set_free(s);
	forward_set_free(s2);
	forward_set_free(del);
	forward_set_free(add);
	conf_free(c);
	free(text);
}
