/* SPDX-License-Identifier: MIT */
/* Config parser: good inputs checked field by field, bad inputs with their exact messages,
 * the value parsers on their own, and a replay of the fuzz corpus. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "conf-internal.h"
#include "conf.h"
#include "harness.h"

#define SEC UINT64_C(1000000)

static struct conf *parse_ok(const char *name, const char *text)
{
	struct conf *c = NULL;
	int r = conf_parse_string("t.conf", text, &c);

	cr_assert_not_null(c, "case %s", name);
	if (r != 0)
		for (size_t i = 0; i < c->n_errors; i++)
			cr_log_error("case %s: %s", name, c->errors[i]);
	cr_assert_eq(r, 0, "case %s: parse failed", name);
	return c;
}

static void expect_addr(const struct conf_addr *a, int family, const char *text, unsigned prefix,
			const char *what)
{
	union in_addr_union want = {};

	cr_expect_eq(a->family, family, "%s: family", what);
	if (!family)
		return;
	cr_assert_eq(inet_pton(family, text, &want), 1);
	cr_expect_eq(memcmp(&a->addr, &want, sizeof(want)), 0, "%s: address", what);
	cr_expect_eq(a->prefixlen, prefix, "%s: prefix", what);
}

static void expect_strv(char **l, const char *const *want, const char *what)
{
	size_t n = 0;

	while (want[n])
		n++;
	cr_expect_eq(strv_length(l), n, "%s: length", what);
	for (size_t i = 0; i < n && i < strv_length(l); i++)
		cr_expect_str_eq(l[i], want[i], "%s[%zu]", what, i);
}

static void expect_forward(const struct conf_forward *f, int proto, int family, const char *addr,
			   unsigned hp, unsigned hpe, unsigned cp, unsigned cpe, unsigned line)
{
	cr_expect_eq(f->protocol, proto, "forward line %u: protocol", line);
	expect_addr(&f->host_addr, family, addr, family == AF_INET ? 32 : 128, "forward addr");
	cr_expect_eq(f->host_port, hp, "forward line %u: host port", line);
	cr_expect_eq(f->host_port_end, hpe, "forward line %u: host port end", line);
	cr_expect_eq(f->container_port, cp, "forward line %u: container port", line);
	cr_expect_eq(f->container_port_end, cpe, "forward line %u: container port end", line);
	cr_expect_eq(f->line, line, "forward line");
}

/* ---- good inputs ---- */

static void check_minimal(const struct conf *c)
{
	const struct conf_container *w;
	char *dir;

	cr_assert_eq(c->n_containers, 1);
	cr_expect_eq(c->n_extras, 0);
	cr_expect_eq(c->n_errors, 0);
	w = &c->containers[0];
	cr_expect_str_eq(w->name, "web");
	cr_expect_eq(w->line, 1);
	cr_expect(w->private_network);
	cr_expect_null(w->directory, "the default is not stored");
	cr_assert_eq(conf_container_directory(w, &dir), 0);
	cr_expect_str_eq(dir, "/var/lib/containers/web");
	free(dir);
	cr_expect_eq(w->timeout_start_usec, 60 * SEC);
	cr_expect_str_eq(w->veth.ifname, "ve-web");
	cr_expect_null(w->veth.altname);
	cr_expect_null(w->veth.host_bridge);
	expect_addr(&w->veth.host_addr4, 0, NULL, 0, "host4");
	expect_addr(&w->veth.local_addr6, 0, NULL, 0, "local6");
	expect_addr(&w->gateway4, 0, NULL, 0, "gw4");
	cr_expect_eq(w->n_forwards, 0);
	cr_expect_eq(w->n_extras, 0);
	cr_expect_null(w->interfaces);
	cr_expect(!w->ephemeral);
	cr_expect(!w->enable_tun);
	cr_expect_eq(conf_find_container(c, "web"), w);
	cr_expect_null(conf_find_container(c, "db"));
}

static void check_host_mode(const struct conf *c)
{
	const struct conf_veth *v = &c->containers[0].veth;

	expect_addr(&v->host_addr4, AF_INET, "10.0.0.1", 32, "host4");
	expect_addr(&v->local_addr4, AF_INET, "10.0.0.2", 24, "local4");
	expect_addr(&v->host_addr6, AF_INET6, "fd00::1", 128, "host6");
	expect_addr(&v->local_addr6, AF_INET6, "fd00::2", 64, "local6");
	cr_expect(!c->containers[0].private_network);
}

static void check_bridge_mode(const struct conf *c)
{
	const struct conf_container *w = &c->containers[0];

	cr_expect_str_eq(w->veth.host_bridge, "br0");
	cr_expect_str_eq(w->veth.ifname, "vb-web");
	expect_addr(&w->gateway4, AF_INET, "10.1.0.1", 32, "gw4");
	expect_addr(&w->gateway6, AF_INET6, "fd01::1", 128, "gw6");
	expect_addr(&w->veth.local_addr4, AF_INET, "10.1.0.5", 24, "local4");
}

static void check_forwards(const struct conf *c)
{
	const struct conf_container *w = &c->containers[0];

	cr_assert_eq(w->n_forwards, 5);
	expect_forward(&w->forwards[0], IPPROTO_TCP, 0, NULL, 8080, 8080, 80, 80, 4);
	expect_forward(&w->forwards[1], IPPROTO_UDP, 0, NULL, 53, 53, 53, 53, 4);
	expect_forward(&w->forwards[2], IPPROTO_TCP, AF_INET, "192.0.2.1", 9080, 9090, 80, 90, 5);
	expect_forward(&w->forwards[3], IPPROTO_TCP, AF_INET6, "2001:db8::1", 443, 443, 8443, 8443,
		       6);
	expect_forward(&w->forwards[4], IPPROTO_UDP, AF_INET, "192.0.2.2", 5000, 5010, 5000, 5010,
		       7);
}

static void check_resets(const struct conf *c)
{
	const struct conf_container *w = &c->containers[0];
	static const char *const ifs[] = { "eth3", NULL };

	expect_strv(w->interfaces, ifs, "interfaces");
	cr_assert_eq(w->n_forwards, 1);
	cr_expect_eq(w->forwards[0].host_port, 81);
	cr_expect(!w->private_network, "empty bool assignment restores the default");
	cr_expect_eq(w->timeout_start_usec, 60 * SEC);
	expect_addr(&w->veth.host_addr4, 0, NULL, 0, "host4 reset");
	cr_expect_null(w->device_allow);
}

static void check_spawn_keys(const struct conf *c)
{
	const struct conf_container *w = &c->containers[0];
	static const char *const binds[] = { "/a", "/b:/c", NULL };
	static const char *const ro[] = { "/ro", NULL };
	static const char *const tmpfs[] = { "/tmp:size=10M", NULL };
	static const char *const caps[] = { "CAP_NET_ADMIN", "CAP_SYS_TIME", NULL };
	static const char *const devs[] = { "/dev/fuse rwm", "char-pts rw", "/dev/kvm", NULL };
	static const char *const mv[] = { "eth0", "eth1", NULL };

	cr_expect_str_eq(w->directory, "/srv/web");
	cr_expect(w->ephemeral);
	cr_expect(w->enable_tun);
	cr_expect_eq(w->timeout_start_usec, 150 * SEC);
	expect_strv(w->binds, binds, "binds");
	expect_strv(w->binds_ro, ro, "binds_ro");
	expect_strv(w->tmpfs, tmpfs, "tmpfs");
	expect_strv(w->capabilities, caps, "caps");
	expect_strv(w->device_allow, devs, "devices");
	expect_strv(w->macvlans, mv, "macvlans");
}

static void check_syntax(const struct conf *c)
{
	cr_assert_eq(c->n_containers, 2);
	cr_expect_str_eq(c->containers[0].name, "web");
	cr_expect_eq(c->containers[0].line, 4);
	cr_expect(c->containers[0].private_network);
	expect_addr(&c->containers[0].veth.local_addr4, AF_INET, "10.0.0.2", 32, "local4");
	cr_expect_str_eq(c->containers[1].name, "db_1.x-y");
	cr_expect(c->containers[1].ephemeral);
}

static void check_extra(const struct conf *c)
{
	const struct conf_container *w;
	const struct conf_extra *e;

	cr_assert_eq(c->n_containers, 2);
	cr_assert_eq(c->n_extras, 2);
	e = &c->extras[0];
	cr_expect_str_eq(e->name, "web-extra");
	cr_expect_eq(e->line, 4);
	cr_expect_str_eq(e->container, "web");
	cr_expect_str_eq(e->veth.ifname, "web-extra");
	cr_expect_null(e->veth.altname);
	expect_addr(&e->veth.host_addr4, AF_INET, "10.9.0.1", 32, "extra host4");
	expect_addr(&e->veth.local_addr6, AF_INET6, "fd09::2", 128, "extra local6");
	cr_expect_str_eq(c->extras[1].veth.host_bridge, "br1");
	cr_expect_str_eq(c->extras[1].veth.ifname, "extra-with-qFUG");
	cr_expect_str_eq(c->extras[1].veth.altname, "extra-with-a-long-name");
	w = &c->containers[0];
	cr_assert_eq(w->n_extras, 2);
	cr_expect_eq(w->extras[0], &c->extras[0]);
	cr_expect_eq(w->extras[1], &c->extras[1]);
	cr_expect_eq(c->containers[1].n_extras, 0);
}

static void check_long_name(const struct conf *c)
{
	const struct conf_container *w = &c->containers[0];

	/* siphash value checked in test-ifname.c */
	cr_expect_str_eq(w->veth.ifname, "ve-verylong1-QZ");
	cr_expect_str_eq(w->veth.altname, "ve-verylongcontainername");
}

static void check_no_clash(const struct conf *c)
{
	cr_expect_eq(c->containers[0].n_forwards, 2);
	cr_expect_eq(c->containers[1].n_forwards, 2);
}

/* Container= may name a container declared further down. */
static void check_extra_first(const struct conf *c)
{
	const struct conf_container *w = conf_find_container(c, "web");

	cr_assert_eq(c->n_extras, 1);
	cr_assert_not_null(w);
	cr_expect_eq(w->line, 4);
	cr_assert_eq(w->n_extras, 1);
	cr_expect_eq(w->extras[0], &c->extras[0]);
	cr_expect_eq(conf_find_container(c, "db"), &c->containers[1]);
	cr_expect_eq(c->containers[1].n_extras, 0);
}

static void check_nothing(const struct conf *c)
{
	cr_expect_eq(c->n_containers, 0);
	cr_expect_eq(c->n_extras, 0);
}

/* Masquerade=: yes takes the families that have a LocalAddress; later assignments win. */
static void check_masquerade(const struct conf *c)
{
	static const struct {
		const char *name;
		bool m4, m6;
	} want[] = {
		{ "both", true, true },  { "only4", true, false }, { "yes4", true, false },
		{ "yes6", false, true }, { "v6", false, true },    { "off", false, false },
		{ "reset", false, false }, { "dflt", false, false },
	};

	cr_assert_eq(c->n_containers, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct conf_container *ct = conf_find_container(c, want[i].name);

		cr_assert_not_null(ct, "container %s", want[i].name);
		cr_expect_eq(ct->masquerade4, want[i].m4, "container %s: masquerade4", want[i].name);
		cr_expect_eq(ct->masquerade6, want[i].m6, "container %s: masquerade6", want[i].name);
	}
}

Test(conf, good_inputs)
{
	static const struct {
		const char *name, *text;
		void (*check)(const struct conf *c);
	} cases[] = {
		{ "minimal", "[Container web]\nPrivateNetwork=yes\n", check_minimal },
		{ "host mode",
		  "[Container web]\nHostAddress=10.0.0.1\nLocalAddress=10.0.0.2/24\n"
		  "HostAddress6=fd00::1\nLocalAddress6=fd00::2/64\n",
		  check_host_mode },
		{ "bridge mode",
		  "[Container web]\nHostBridge=br0\nLocalAddress=10.1.0.5/24\nGateway=10.1.0.1\n"
		  "LocalAddress6=fd01::5/64\nGateway6=fd01::1\n",
		  check_bridge_mode },
		{ "masquerade",
		  "[Container both]\nLocalAddress=10.0.0.2\nLocalAddress6=fd00::2\nMasquerade=yes\n"
		  "[Container only4]\nMasquerade=ipv4\nLocalAddress=10.0.0.3\nLocalAddress6=fd00::3\n"
		  "[Container yes4]\nMasquerade=true\nLocalAddress=10.0.0.4\n"
		  "[Container yes6]\nMasquerade=1\nLocalAddress6=fd00::5\n"
		  "[Container v6]\nMasquerade=IPv6\nLocalAddress6=fd00::6\n"
		  "[Container off]\nMasquerade=off\nLocalAddress=10.0.0.7\n"
		  "[Container reset]\nMasquerade=yes\nMasquerade=\nLocalAddress=10.0.0.8\n"
		  "[Container dflt]\nLocalAddress=10.0.0.9\n",
		  check_masquerade },
		{ "forwards",
		  "[Container web]\nLocalAddress=10.0.0.2\nLocalAddress6=fd00::2\n"
		  "ForwardPort=8080:80 udp:53\n"
		  "ForwardPort=tcp:192.0.2.1:9080-9090:80-90\n"
		  "ForwardPort=[2001:db8::1]:443:8443\n"
		  "ForwardPort=udp:192.0.2.2:5000-5010\n",
		  check_forwards },
		{ "empty assignment resets",
		  "[Container web]\nLocalAddress=10.0.0.2\nInterface=eth1 eth2\nInterface=\n"
		  "Interface=eth3\nForwardPort=80\nForwardPort=\nForwardPort=81\n"
		  "PrivateNetwork=yes\nPrivateNetwork=\nTimeoutStartSec=5s\nTimeoutStartSec=\n"
		  "HostAddress=10.0.0.1\nHostAddress=\nDeviceAllow=/dev/fuse\nDeviceAllow=\n",
		  check_resets },
		{ "spawn keys",
		  "[Container web]\nDirectory=/srv/web\nEphemeral=on\nBind=/a /b:/c\n"
		  "BindReadOnly=/ro\nTemporaryFileSystem=/tmp:size=10M\n"
		  "Capability=CAP_NET_ADMIN\nCapability=CAP_SYS_TIME\n"
		  "DeviceAllow=/dev/fuse   rwm\nDeviceAllow=char-pts rw\nDeviceAllow=/dev/kvm\n"
		  "EnableTun=TRUE\nTimeoutStartSec=2min 30s\nMACVLAN=eth0\nMACVLAN=eth1\n",
		  check_spawn_keys },
		{ "comments and whitespace",
		  "# comment\n  ; another = comment\n\n  [ Container   web ]  \n"
		  "  PrivateNetwork  =  1  \r\n\tLocalAddress=\t10.0.0.2\n#[Bogus]\n"
		  "[Container db_1.x-y]\nEphemeral=yes",
		  check_syntax },
		{ "extra veths",
		  "[Container web]\nLocalAddress=10.0.0.2\n\n[ExtraVeth web-extra]\nContainer=web\n"
		  "HostAddress=10.9.0.1\nLocalAddress6=fd09::2\n"
		  "[ExtraVeth extra-with-a-long-name]\nContainer=web\nHostBridge=br1\n"
		  "[Container db]\n",
		  check_extra },
		{ "long container name", "[Container verylongcontainername]\n", check_long_name },
		{ "forwards that do not clash",
		  "[Container a]\nLocalAddress=10.0.0.2\nLocalAddress6=fd00::2\n"
		  "ForwardPort=tcp:80 udp:80\n"
		  "[Container b]\nLocalAddress=10.0.0.3\nLocalAddress6=fd00::3\n"
		  "ForwardPort=192.0.2.1:81 [2001:db8::1]:81\n"
		  "[Container c]\nLocalAddress=10.0.0.4\nForwardPort=192.0.2.2:81\n"
		  "ForwardPort=82-90\n",
		  check_no_clash },
		{ "extra veth before its container",
		  "[ExtraVeth x]\nContainer=web\nLocalAddress=10.0.1.2\n[Container web]\n"
		  "LocalAddress=10.0.0.2\n[Container db]\n",
		  check_extra_first },
		{ "empty file", "", check_nothing },
		{ "only comments", "# nothing\n;\n\n", check_nothing },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf *c = parse_ok(cases[i].name, cases[i].text);

		cr_log_info("case %s", cases[i].name);
		cases[i].check(c);
		conf_free(c);
	}
}

/* ---- bad inputs ---- */

#define LONG65 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG128 LONG65 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

Test(conf, bad_inputs)
{
	static const struct {
		const char *name, *text;
		const char *errors[4];
	} cases[] = {
		{ "unknown key", "[Container web]\nFoo=1\n",
		  { "t.conf:2: unknown key \"Foo\" in [Container web]" } },
		{ "key of the other section", "[ExtraVeth x]\nContainer=web\nGateway=10.0.0.1\n"
		  "[Container web]\nContainer=web\n",
		  { "t.conf:3: unknown key \"Gateway\" in [ExtraVeth x]",
		    "t.conf:5: unknown key \"Container\" in [Container web]" } },
		{ "keys are case-sensitive", "[Container web]\nprivatenetwork=yes\n",
		  { "t.conf:2: unknown key \"privatenetwork\" in [Container web]" } },
		{ "unknown section", "[Bogus]\n", { "t.conf:1: unknown section \"[Bogus]\"" } },
		{ "masquerade bad values",
		  "[Container web]\nLocalAddress=10.0.0.2\nMasquerade=ipv5\nMasquerade=both\n"
		  "Masquerade=yes ipv6\n",
		  { "t.conf:3: invalid Masquerade \"ipv5\", expected yes, ipv4, ipv6 or no",
		    "t.conf:4: invalid Masquerade \"both\", expected yes, ipv4, ipv6 or no",
		    "t.conf:5: invalid Masquerade \"yes ipv6\", expected yes, ipv4, ipv6 or no" } },
		{ "masquerade of a family without LocalAddress",
		  "[Container a]\nLocalAddress6=fd00::2\nMasquerade=ipv4\n"
		  "[Container b]\nMasquerade=ipv6\nLocalAddress=10.0.0.3\n"
		  "[Container c]\nPrivateNetwork=yes\nMasquerade=yes\n",
		  { "t.conf:3: Masquerade=ipv4 needs LocalAddress in [Container a]",
		    "t.conf:5: Masquerade=ipv6 needs LocalAddress6 in [Container b]",
		    "t.conf:9: Masquerade needs LocalAddress or LocalAddress6 in [Container c]" } },
		{ "unknown section with name", "[Service web]\n",
		  { "t.conf:1: unknown section \"[Service web]\"" } },
		{ "keys of a bad section are skipped, parsing goes on",
		  "[Bogus]\nFoo=1\n[Container web]\nBar=2\n",
		  { "t.conf:1: unknown section \"[Bogus]\"",
		    "t.conf:4: unknown key \"Bar\" in [Container web]" } },
		{ "section without name", "[Container]\n",
		  { "t.conf:1: section [Container] needs a name" } },
		{ "unterminated section", "[Container web\n",
		  { "t.conf:1: invalid section header \"[Container web\"" } },
		{ "text after section", "[Container web] x\n",
		  { "t.conf:1: unexpected text after section header \"[Container web] x\"" } },
		{ "invalid container name", "[Container a/b]\n",
		  { "t.conf:1: invalid container name \"a/b\"" } },
		{ "container name starting with dot", "[Container .x]\n",
		  { "t.conf:1: invalid container name \".x\"" } },
		{ "container name starting with dash", "[Container -x]\n",
		  { "t.conf:1: invalid container name \"-x\"" } },
		{ "container name too long", "[Container " LONG65 "]\n",
		  { "t.conf:1: invalid container name \"" LONG65 "\"" } },
		{ "container name with space", "[Container a b]\n",
		  { "t.conf:1: invalid container name \"a b\"" } },
		{ "duplicate container", "[Container web]\n[Container db]\n[Container web]\n",
		  { "t.conf:3: duplicate section [Container web], first defined at line 1" } },
		{ "duplicate extra veth",
		  "[Container web]\n[ExtraVeth x]\nContainer=web\n[ExtraVeth x]\nContainer=web\n",
		  { "t.conf:4: duplicate section [ExtraVeth x], first defined at line 2" } },
		{ "key outside of any section", "PrivateNetwork=yes\n",
		  { "t.conf:1: key outside of any section" } },
		{ "missing =", "[Container web]\nPrivateNetwork\n",
		  { "t.conf:2: missing '=' in line" } },
		{ "missing key", "[Container web]\n = yes\n",
		  { "t.conf:2: missing key before '='" } },
		{ "bad bool", "[Container web]\nPrivateNetwork=maybe\nEnableTun=2\n",
		  { "t.conf:2: invalid boolean \"maybe\" for PrivateNetwork",
		    "t.conf:3: invalid boolean \"2\" for EnableTun" } },
		{ "bad IPv4", "[Container web]\nHostAddress=10.0.0.300\n",
		  { "t.conf:2: invalid IPv4 address \"10.0.0.300\" for HostAddress" } },
		{ "IPv6 in IPv4 key", "[Container web]\nLocalAddress=fd00::1\n",
		  { "t.conf:2: invalid IPv4 address \"fd00::1\" for LocalAddress" } },
		{ "IPv4 in IPv6 key", "[Container web]\nLocalAddress6=10.0.0.1\n",
		  { "t.conf:2: invalid IPv6 address \"10.0.0.1\" for LocalAddress6" } },
		{ "bad prefix", "[Container web]\nLocalAddress=10.0.0.1/33\nHostAddress6=fd00::1/\n",
		  { "t.conf:2: invalid prefix length in \"10.0.0.1/33\" for LocalAddress",
		    "t.conf:3: invalid prefix length in \"fd00::1/\" for HostAddress6" } },
		{ "gateway with prefix", "[Container web]\nGateway=10.0.0.1/24\n",
		  { "t.conf:2: invalid IPv4 address \"10.0.0.1/24\" for Gateway" } },
		{ "bridge and host address",
		  "[Container web]\nHostBridge=br0\nHostAddress=10.0.0.1\nHostAddress6=fd00::1\n",
		  { "t.conf:1: HostBridge= cannot be combined with HostAddress=",
		    "t.conf:1: HostBridge= cannot be combined with HostAddress6=" } },
		{ "extra veth bridge and host address",
		  "[Container web]\n[ExtraVeth x]\nContainer=web\nHostBridge=br0\n"
		  "HostAddress=10.0.0.1\n",
		  { "t.conf:2: HostBridge= cannot be combined with HostAddress=" } },
		{ "gateway without bridge", "[Container web]\nLocalAddress=10.0.0.2/24\nGateway=10.0.0.1\n",
		  { "t.conf:1: Gateway= needs HostBridge=" } },
		{ "gateway without local address", "[Container web]\nHostBridge=br0\nGateway6=fd00::1\n",
		  { "t.conf:1: Gateway6= needs LocalAddress6=" } },
		{ "gateway outside prefix",
		  "[Container web]\nHostBridge=br0\nLocalAddress=10.1.0.5/24\nGateway=10.2.0.1\n",
		  { "t.conf:1: Gateway 10.2.0.1 is outside of LocalAddress 10.1.0.5/24" } },
		{ "duplicate local address",
		  "[Container a]\nLocalAddress=10.0.0.2/24\n[Container b]\nLocalAddress=10.0.0.2\n",
		  { "t.conf:3: LocalAddress 10.0.0.2 is already used by container \"a\" (line 1)" } },
		{ "duplicate local address with extra veth",
		  "[Container a]\nLocalAddress6=fd00::2\n[ExtraVeth x]\nContainer=a\n"
		  "LocalAddress6=fd00::2/64\n",
		  { "t.conf:3: LocalAddress6 fd00::2 is already used by container \"a\" (line 1)" } },
		{ "forward malformed", "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=abc\n",
		  { "t.conf:3: ForwardPort \"abc\": invalid port \"abc\"" } },
		{ "forward port 0", "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=tcp:0\n",
		  { "t.conf:3: ForwardPort \"tcp:0\": port 0 is not allowed" } },
		{ "forward port too big", "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=80:70000\n",
		  { "t.conf:3: ForwardPort \"80:70000\": port 70000 is out of range (1-65535)" } },
		{ "forward end below start", "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=90-80\n",
		  { "t.conf:3: ForwardPort \"90-80\": end port 80 is below start port 90" } },
		{ "forward range lengths differ",
		  "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=8080-8090:80-85\n",
		  { "t.conf:3: ForwardPort \"8080-8090:80-85\": container port range 80-85 differs "
		    "in length from host port range 8080-8090" } },
		{ "forward bad address",
		  "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=udp:10.0.0.300:53\n",
		  { "t.conf:3: ForwardPort \"udp:10.0.0.300:53\": invalid IPv4 address \"10.0.0.300\"" } },
		{ "forward unterminated IPv6",
		  "[Container web]\nLocalAddress6=fd00::2\nForwardPort=[2001:db8::1:443\n",
		  { "t.conf:3: ForwardPort \"[2001:db8::1:443\": malformed IPv6 address, expected "
		    "\"[ADDR]:PORT\"" } },
		{ "forward too many fields", "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=1:2:3\n",
		  { "t.conf:3: ForwardPort \"1:2:3\": invalid port \"2:3\"" } },
		{ "forward clash",
		  "[Container a]\nLocalAddress=10.0.0.2\nForwardPort=80\n"
		  "[Container b]\nLocalAddress=10.0.0.3\nForwardPort=80:8080\n",
		  { "t.conf:6: host port tcp/80 is already forwarded by container \"a\" (line 3)" } },
		{ "forward clash inside one container",
		  "[Container a]\nLocalAddress=10.0.0.2\nForwardPort=udp:53 udp:50-60\n",
		  { "t.conf:3: host port udp/53 is already forwarded by container \"a\" (line 3)" } },
		{ "forward ranges overlap",
		  "[Container a]\nLocalAddress=10.0.0.2\nForwardPort=8000-8100\n"
		  "[Container b]\nLocalAddress=10.0.0.3\nForwardPort=8050-8200\n",
		  { "t.conf:6: host port tcp/8050 is already forwarded by container \"a\" (line 3)" } },
		{ "qualified forward clashes with unqualified",
		  "[Container a]\nLocalAddress6=fd00::2\nForwardPort=443\n"
		  "[Container b]\nLocalAddress6=fd00::3\nForwardPort=[2001:db8::1]:443\n",
		  { "t.conf:6: host port tcp/443 is already forwarded by container \"a\" (line 3)" } },
		{ "qualified forwards on the same address",
		  "[Container a]\nLocalAddress=10.0.0.2\nForwardPort=192.0.2.1:80\n"
		  "[Container b]\nLocalAddress=10.0.0.3\nForwardPort=192.0.2.1:79-81\n",
		  { "t.conf:6: host port tcp/80 is already forwarded by container \"a\" (line 3)" } },
		{ "forward to IPv6 needs LocalAddress6",
		  "[Container web]\nLocalAddress=10.0.0.2\nForwardPort=[2001:db8::1]:443\n",
		  { "t.conf:3: ForwardPort needs LocalAddress6 in [Container web]" } },
		{ "forward to IPv4 needs LocalAddress",
		  "[Container web]\nLocalAddress6=fd00::2\nForwardPort=192.0.2.1:443\n",
		  { "t.conf:3: ForwardPort needs LocalAddress in [Container web]" } },
		{ "forward needs a local address", "[Container web]\nForwardPort=80\n",
		  { "t.conf:2: ForwardPort needs LocalAddress or LocalAddress6 in [Container web]" } },
		{ "extra veth without container", "[ExtraVeth x]\nHostAddress=10.0.0.1\n",
		  { "t.conf:1: ExtraVeth needs Container=" } },
		{ "extra veth of undeclared container", "[ExtraVeth x]\nContainer=y\n",
		  { "t.conf:1: ExtraVeth \"x\": container \"y\" is not declared" } },
		{ "extra veth bad container name", "[ExtraVeth x]\nContainer=a/b\n",
		  { "t.conf:1: ExtraVeth needs Container=",
		    "t.conf:2: invalid container name \"a/b\"" } },
		{ "extra veth reserved name", "[Container web]\n[ExtraVeth eth0]\nContainer=web\n",
		  { "t.conf:2: ExtraVeth \"eth0\": name is reserved inside the container" } },
		{ "extra veth name too long", "[ExtraVeth " LONG128 "]\n",
		  { "t.conf:1: interface name \"" LONG128 "\" is too long (max 127 bytes)" } },
		{ "extra veth name invalid", "[ExtraVeth a:b]\n",
		  { "t.conf:1: interface name \"a:b\" is invalid" } },
		{ "interface too long", "[Container web]\nInterface=eth0 waytoolonginterface\n",
		  { "t.conf:2: interface name \"waytoolonginterface\" is too long (max 15 bytes)" } },
		{ "interface invalid", "[Container web]\nMACVLAN=a/b\nHostBridge=..\n",
		  { "t.conf:2: interface name \"a/b\" is invalid",
		    "t.conf:3: interface name \"..\" is invalid" } },
		{ "link name clash", "[Container web]\n[ExtraVeth ve-web]\nContainer=web\n",
		  { "t.conf:2: link name \"ve-web\" of extra veth \"ve-web\" is already used by "
		    "container \"web\" (line 1)" } },
		{ "link name clash after shortening",
		  "[Container verylongcontainername]\n[ExtraVeth ve-verylong1-QZ]\n"
		  "Container=verylongcontainername\n",
		  { "t.conf:2: link name \"ve-verylong1-QZ\" of extra veth \"ve-verylong1-QZ\" is "
		    "already used by container \"verylongcontainername\" (line 1)" } },
		{ "bad time span", "[Container web]\nTimeoutStartSec=soon\nTimeoutStartSec=1.5s\n",
		  { "t.conf:2: invalid time span \"soon\" for TimeoutStartSec",
		    "t.conf:3: invalid time span \"1.5s\" for TimeoutStartSec" } },
		{ "relative directory", "[Container web]\nDirectory=srv/web\n",
		  { "t.conf:2: Directory \"srv/web\" is not an absolute path" } },
		{ "bad binds", "[Container web]\nBind=/a:b\nBindReadOnly=rel\n",
		  { "t.conf:2: invalid Bind \"/a:b\", expected absolute SRC[:DST]",
		    "t.conf:3: invalid BindReadOnly \"rel\", expected absolute SRC[:DST]" } },
		{ "bad tmpfs", "[Container web]\nTemporaryFileSystem=tmp\n",
		  { "t.conf:2: invalid TemporaryFileSystem \"tmp\", expected absolute "
		    "PATH[:OPTIONS]" } },
		{ "bad capability", "[Container web]\nCapability=NET_ADMIN CAP_\n",
		  { "t.conf:2: invalid capability \"NET_ADMIN\"",
		    "t.conf:2: invalid capability \"CAP_\"" } },
		{ "bad device", "[Container web]\nDeviceAllow=/dev/fuse rwx\nDeviceAllow=fuse\n"
		  "DeviceAllow=/dev/a r w\n",
		  { "t.conf:2: invalid DeviceAllow \"/dev/fuse rwx\", expected \"NODE [r][w][m]\"",
		    "t.conf:3: invalid DeviceAllow \"fuse\", expected \"NODE [r][w][m]\"",
		    "t.conf:4: invalid DeviceAllow \"/dev/a r w\", expected \"NODE [r][w][m]\"" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf *c = NULL;
		size_t n = 0;

		while (n < 4 && cases[i].errors[n])
			n++;
		cr_expect_eq(conf_parse_string("t.conf", cases[i].text, &c), -EINVAL, "case %s",
			     cases[i].name);
		cr_assert_not_null(c, "case %s", cases[i].name);
		cr_expect_eq(c->n_errors, n, "case %s: %zu errors", cases[i].name, c->n_errors);
		for (size_t j = 0; j < n && j < c->n_errors; j++)
			cr_expect_str_eq(c->errors[j], cases[i].errors[j], "case %s", cases[i].name);
		for (size_t j = n; j < c->n_errors; j++)
			cr_log_error("case %s: unexpected %s", cases[i].name, c->errors[j]);
		conf_free(c);
	}
}

/* ---- checks across sections: the cases an index (sorted or hashed) can get wrong ---- */

static void expect_errors(const char *name, const char *text, const char *const *want,
			  size_t n_want)
{
	struct conf *c = NULL;

	cr_expect_eq(conf_parse_string("t.conf", text, &c), n_want ? -EINVAL : 0, "case %s",
		     name);
	cr_assert_not_null(c, "case %s", name);
	cr_expect_eq(c->n_errors, n_want, "case %s: %zu errors", name, c->n_errors);
	for (size_t j = 0; j < n_want && j < c->n_errors; j++)
		cr_expect_str_eq(c->errors[j], want[j], "case %s", name);
	for (size_t j = n_want; j < c->n_errors; j++)
		cr_log_error("case %s: unexpected %s", name, c->errors[j]);
	conf_free(c);
}

#define L(addr) "LocalAddress=" addr "\n"

Test(conf, cross_section_checks)
{
	static const struct {
		const char *name, *text;
		const char *errors[4];
	} cases[] = {
		{ "three containers with one LocalAddress",
		  "[Container a]\n" L("10.0.0.2") "[Container b]\n" L("10.0.0.2/24")
		  "[Container c]\n" L("10.0.0.2/8"),
		  { "t.conf:3: LocalAddress 10.0.0.2 is already used by container \"a\" (line 1)",
		    "t.conf:5: LocalAddress 10.0.0.2 is already used by container \"a\" (line 1)" } },
		/* Links compare containers first, then extra veths: the extra veth at line 1 is
		 * the later one. */
		{ "three links with one LocalAddress6, the extra veth first in the file",
		  "[ExtraVeth x]\nContainer=b\nLocalAddress6=fd00::2\n[Container a]\n"
		  "LocalAddress6=fd00::2\n[Container b]\nLocalAddress6=fd00::2/64\n",
		  { "t.conf:1: LocalAddress6 fd00::2 is already used by container \"a\" (line 4)",
		    "t.conf:6: LocalAddress6 fd00::2 is already used by container \"a\" (line 4)" } },
		{ "three sections with one name",
		  "[Container a]\n[Container b]\n[Container a]\n[ExtraVeth a]\nContainer=b\n"
		  "[Container a]\nPrivateNetwork=maybe\n[ExtraVeth a]\n",
		  { "t.conf:3: duplicate section [Container a], first defined at line 1",
		    "t.conf:6: duplicate section [Container a], first defined at line 1",
		    "t.conf:8: duplicate section [ExtraVeth a], first defined at line 4" } },
		{ "three links with one name",
		  "[Container verylongcontainername]\n[ExtraVeth ve-verylong1-QZ]\n"
		  "Container=verylongcontainername\n[ExtraVeth ve-verylongcontainername]\n"
		  "Container=verylongcontainername\n",
		  { "t.conf:2: link name \"ve-verylong1-QZ\" of extra veth \"ve-verylong1-QZ\" is "
		    "already used by container \"verylongcontainername\" (line 1)",
		    "t.conf:4: link name \"ve-verylong1-QZ\" of extra veth "
		    "\"ve-verylongcontainername\" is already used by container "
		    "\"verylongcontainername\" (line 1)" } },
		{ "three forwards of one port",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=80\n[Container b]\n" L("10.0.0.3")
		  "ForwardPort=80\n[Container c]\n" L("10.0.0.4") "ForwardPort=80:8080\n",
		  { "t.conf:6: host port tcp/80 is already forwarded by container \"a\" (line 3)",
		    "t.conf:9: host port tcp/80 is already forwarded by container \"a\" (line 3)" } },
		{ "range overlaps that are not neighbours by start port",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=1000-2000\n[Container b]\n"
		  L("10.0.0.3") "ForwardPort=1500\n[Container c]\n" L("10.0.0.4")
		  "ForwardPort=1999\n",
		  { "t.conf:6: host port tcp/1500 is already forwarded by container \"a\" (line 3)",
		    "t.conf:9: host port tcp/1999 is already forwarded by container \"a\" (line 3)" } },
		/* c overlaps a and b and d overlaps b and c: each names the first in the file,
		 * not the one whose start port is nearest. */
		{ "the first clash in file order",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=1500\n[Container b]\n" L("10.0.0.3")
		  "ForwardPort=1999\n[Container c]\n" L("10.0.0.4") "ForwardPort=1000-2000\n"
		  "[Container d]\n" L("10.0.0.5") "ForwardPort=1998-1999\n",
		  { "t.conf:9: host port tcp/1500 is already forwarded by container \"a\" (line 3)",
		    "t.conf:12: host port tcp/1999 is already forwarded by container \"b\" (line 6)" } },
		{ "a wide range after a narrow one",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=udp:3000 udp:100\n[Container b]\n"
		  L("10.0.0.3") "ForwardPort=udp:50-5000\n",
		  { "t.conf:6: host port udp/3000 is already forwarded by container \"a\" (line 3)" } },
		/* c (any address) takes a's packets; d (192.0.2.2) takes b's first, then c's. */
		{ "address-bound and unqualified forwards",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=192.0.2.1:80\n[Container b]\n"
		  L("10.0.0.3") "ForwardPort=192.0.2.2:80\n[Container c]\n" L("10.0.0.4")
		  "ForwardPort=80\n[Container d]\n" L("10.0.0.5") "ForwardPort=192.0.2.2:79-80\n",
		  { "t.conf:9: host port tcp/80 is already forwarded by container \"a\" (line 3)",
		    "t.conf:12: host port tcp/80 is already forwarded by container \"b\" (line 6)" } },
		{ "an address-bound forward after an unqualified range",
		  "[Container a]\n" L("10.0.0.2") "ForwardPort=192.0.2.1:90\n[Container b]\n"
		  L("10.0.0.3") "ForwardPort=85-95\n[Container c]\n" L("10.0.0.4")
		  "ForwardPort=192.0.2.3:88\n",
		  { "t.conf:6: host port tcp/90 is already forwarded by container \"a\" (line 3)",
		    "t.conf:9: host port tcp/88 is already forwarded by container \"b\" (line 6)" } },
		/* c000:201:: has the bytes of 192.0.2.1 followed by zeros. */
		{ "IPv4 and IPv6 never clash, nor TCP and UDP",
		  "[Container a]\n" L("192.0.2.1") "LocalAddress6=fd00::2\n"
		  "ForwardPort=192.0.2.1:80 udp:80\n[Container b]\nLocalAddress6=c000:201::\n"
		  "ForwardPort=[c000:201::]:80 [::ffff:192.0.2.1]:80\n",
		  {} },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;

		while (n < 4 && cases[i].errors[n])
			n++;
		expect_errors(cases[i].name, cases[i].text, cases[i].errors, n);
	}
}

/*
 * Duplicates hundreds of sections apart, with an extra veth at the top naming the last
 * container. Container I (from 0) opens at line 4 + 3I.
 */
Test(conf, duplicates_far_apart)
{
	enum { N = 400 };
	_cleanup_free_ char *text = NULL;
	char *want[5];
	size_t len = 0;
	FILE *f;

	f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fprintf(f, "[ExtraVeth x]\nContainer=c%d\nLocalAddress=10.0.1.44\n", N - 1);
	for (int i = 0; i < N; i++) {
		/* c390 reuses c7's address, c399 c5's port, c395 c3's name. */
		int a = i == 390 ? 7 : i, port = i == 399 ? 20005 : 20000 + 10 * i;

		fprintf(f, "[Container c%d]\nLocalAddress=10.0.%d.%d\nForwardPort=%d-%d\n",
			i == 395 ? 3 : i, a / 256, a % 256, port, port + 9);
	}
	cr_assert_eq(fclose(f), 0);

	cr_assert(asprintf(&want[0], "t.conf:1: LocalAddress 10.0.1.44 is already used by "
				     "container \"c300\" (line %d)", 4 + 3 * 300) > 0);
	cr_assert(asprintf(&want[1], "t.conf:%d: LocalAddress 10.0.0.7 is already used by "
				     "container \"c7\" (line %d)", 4 + 3 * 390, 4 + 3 * 7) > 0);
	cr_assert(asprintf(&want[2], "t.conf:%d: duplicate section [Container c3], first "
				     "defined at line %d", 4 + 3 * 395, 4 + 3 * 3) > 0);
	cr_assert(asprintf(&want[3], "t.conf:%d: host port tcp/20005 is already forwarded by "
				     "container \"c0\" (line 6)", 6 + 3 * 399) > 0);
	want[4] = NULL;
	expect_errors("far apart", text, (const char *const *)want, 4);
	for (size_t i = 0; want[i]; i++)
		free(want[i]);
}

/* ---- value parsers ---- */

Test(conf, bools)
{
	static const struct {
		const char *s;
		int r;
	} cases[] = {
		{ "1", 1 }, { "yes", 1 }, { "true", 1 }, { "on", 1 }, { "YES", 1 },
		{ "0", 0 }, { "no", 0 }, { "false", 0 }, { "off", 0 }, { "Off", 0 },
		{ "", -EINVAL }, { "2", -EINVAL }, { "y", -EINVAL }, { "yes ", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(conf_parse_bool(cases[i].s), cases[i].r, "case \"%s\"", cases[i].s);
}

Test(conf, timespans)
{
	static const struct {
		const char *s;
		int r;
		uint64_t usec;
	} cases[] = {
		{ "15s", 0, 15 * SEC },
		{ "90", 0, 90 * SEC },
		{ "1min", 0, 60 * SEC },
		{ "2min 30s", 0, 150 * SEC },
		{ "1h30min", 0, 5400 * SEC },
		{ "500ms", 0, 500000 },
		{ "10 us", 0, 10 },
		{ "1d", 0, 86400 * SEC },
		{ "2weeks", 0, 14 * 86400 * SEC },
		{ "infinity", 0, UINT64_MAX },
		{ "0", 0, 0 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "5x", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "1min x", -EINVAL, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "99999999999w", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t u = 4242;

		cr_expect_eq(conf_parse_timespan(cases[i].s, &u), cases[i].r, "case \"%s\"",
			     cases[i].s);
		cr_expect_eq(u, cases[i].r == 0 ? cases[i].usec : 4242, "case \"%s\"", cases[i].s);
	}
}

Test(conf, addresses)
{
	struct conf_addr a, b, net;
	char buf[INET6_ADDRSTRLEN + 4];

	cr_assert_eq(conf_parse_addr("10.0.0.2/24", AF_INET, true, &a), 0);
	cr_expect_str_eq(conf_addr_to_string(&a, buf, sizeof(buf)), "10.0.0.2/24");
	cr_assert_eq(conf_parse_addr("10.0.0.2", AF_INET, true, &b), 0);
	cr_expect_str_eq(conf_addr_to_string(&b, buf, sizeof(buf)), "10.0.0.2/32");
	cr_expect(!conf_addr_equal(&a, &b));
	b.prefixlen = 24;
	cr_expect(conf_addr_equal(&a, &b));
	cr_assert_eq(conf_parse_addr("fd00::1", AF_INET6, false, &a), 0);
	cr_expect_str_eq(conf_addr_to_string(&a, buf, sizeof(buf)), "fd00::1/128");
	cr_expect_eq(conf_parse_addr("fd00::1/64", AF_INET6, false, &a), -EINVAL);
	cr_expect_eq(conf_parse_addr("fd00::1/129", AF_INET6, true, &a), -ERANGE);
	cr_expect_eq(conf_parse_addr("10.0.0.1/+8", AF_INET, true, &a), -ERANGE);
	cr_expect_eq(conf_parse_addr("10.0.0.1/08x", AF_INET, true, &a), -ERANGE);
	cr_expect_eq(conf_parse_addr("", AF_INET, true, &a), -EINVAL);
	a = (struct conf_addr){};
	cr_expect_str_eq(conf_addr_to_string(&a, buf, sizeof(buf)), "(none)");

	cr_assert_eq(conf_parse_addr("10.1.0.0/23", AF_INET, true, &net), 0);
	cr_assert_eq(conf_parse_addr("10.1.1.255", AF_INET, true, &a), 0);
	cr_expect(conf_addr_in_prefix(&a, &net));
	cr_assert_eq(conf_parse_addr("10.1.2.0", AF_INET, true, &a), 0);
	cr_expect(!conf_addr_in_prefix(&a, &net));
	cr_assert_eq(conf_parse_addr("fd00::/0", AF_INET6, true, &net), 0);
	cr_assert_eq(conf_parse_addr("2001:db8::1", AF_INET6, true, &a), 0);
	cr_expect(conf_addr_in_prefix(&a, &net));
}

Test(conf, container_names)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "web", true }, { "a", true }, { "db_1.x-y", true }, { "9", true },
		{ &LONG65[1], true }, { LONG65, false }, { "", false }, { ".a", false },
		{ "-a", false }, { "a/b", false }, { "a b", false }, { "ü", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(conf_container_name_valid(cases[i].s), cases[i].ok, "case \"%s\"",
			     cases[i].s);
}

/* ---- API behaviour ---- */

Test(conf, line_by_line_api)
{
	struct conf *c = NULL;

	cr_assert_eq(conf_new("x.conf", &c), 0);
	cr_expect_eq(conf_parse_line(c, 1, "[Container web]"), 0);
	cr_expect_eq(conf_parse_line(c, 2, "LocalAddress=10.0.0.2"), 0);
	cr_expect_eq(conf_parse_line(c, 3, "Nope"), 0, "value errors are no failures of the call");
	cr_expect_eq(c->n_errors, 1);
	cr_expect_str_eq(c->errors[0], "x.conf:3: missing '=' in line");
	cr_expect_eq(conf_finish(c), -EINVAL);
	cr_expect_eq(conf_finish(c), -EINVAL, "finishing twice is harmless");
	cr_expect_eq(c->n_errors, 1);
	conf_free(c);
	cr_expect_null(conf_free(NULL));
}

Test(conf, garbage_lines)
{
	static const char *const lines[] = {
		"[", "]", "[]", "[ ]", "=", "==", "[Container web]]", "[[Container web]",
		"\t", "\x01\x02", "[Container \xff]", "Key=\xff", "ForwardPort=:", "ForwardPort=[]:",
		"ForwardPort=[", "ForwardPort=tcp:", "ForwardPort=udp:[::1]:", "ForwardPort=1-",
		"ForwardPort=-1", "ForwardPort=1.2.3.4:", "DeviceAllow= ", "TimeoutStartSec=1 1 1",
		"[ExtraVeth x]", "Container=", "LocalAddress=/", "HostAddress6=[::1]",
	};
	struct conf *c = NULL;

	cr_assert_eq(conf_new("g.conf", &c), 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_expect_eq(conf_parse_line(c, (unsigned)i + 1, lines[i]), 0, "case \"%s\"",
			     lines[i]);
	cr_expect_eq(conf_finish(c), -EINVAL);
	cr_expect_gt(c->n_errors, 10);
	conf_free(c);
}

Test(conf, load)
{
	char path[] = "/tmp/test-conf.XXXXXX";
	struct conf *c = NULL;
	int fd;

	cr_expect_eq(conf_load("/nonexistent/netd.conf", &c), -ENOENT);
	cr_expect_null(c);

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "[Container web]\nBogus=1\n", 24), 24);
	close(fd);
	cr_expect_eq(conf_load(path, &c), -EINVAL);
	cr_assert_not_null(c);
	cr_assert_eq(c->n_errors, 1);
	cr_expect_eq(strncmp(c->errors[0], path, strlen(path)), 0);
	cr_expect_str_eq(c->errors[0] + strlen(path), ":2: unknown key \"Bogus\" in [Container web]");
	conf_free(c);
	unlink(path);
}

static void replay_conf(const char *file, const uint8_t *data, size_t len)
{
	struct conf *c = NULL;
	int r = conf_parse_string(file, (const char *)data, &c);

	cr_expect(r == 0 || r == -EINVAL, "%s: %d", file, r);
	conf_free(c);
	/* As fuzz-conf does: the same bytes as a NixOS module container file. */
	cr_assert_eq(conf_new("fuzz.conf", &c), 0);
	cr_expect_eq(conf_import_nixos_text(c, "/fuzz/f.conf", "f", (const char *)data), 0, "%s",
		     file);
	r = conf_finish(c);
	cr_expect(r == 0 || r == -EINVAL, "%s: %d", file, r);
	conf_free(c);
}

/* Every input libFuzzer kept (including crashers fixed since) must parse without crashing. */
Test(conf, fuzz_corpus_replay)
{
	cr_expect_gt(corpus_replay("conf", replay_conf), 0, "empty corpus");
}
