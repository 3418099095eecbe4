/* SPDX-License-Identifier: MIT */
/* [Netd] ImportNixOSContainers=: the NixOS containers module's files, written into a fresh
 * directory under /tmp exactly as the module renders them, read back as [Container] sections;
 * errors with their FILE:LINE; the environment-file syntax on its own. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-internal.h"
#include "conf.h"
#include "harness.h"

/* Each test runs in its own process, so each gets its own directory. */
static char dir[] = "/tmp/test-nixos.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	cr_expect_eq(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0, "cleaning up %s", dir);
}

TestSuite(nixos, .init = setup, .fini = teardown);

/* s with every '@' replaced by the directory; free it. */
static char *subst(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_not_null(f);
	for (; *s; s++)
		if (*s == '@')
			fputs(dir, f);
		else
			fputc(*s, f);
	cr_assert_eq(fclose(f), 0);
	return out;
}

/* Write DIR/file (file may name a subdirectory made before). */
static void put(const char *file, const char *text)
{
	_cleanup_free_ char *path = NULL;

	cr_assert(asprintf(&path, "%s/%s", dir, file) > 0);
	file_write(path, text);
}

/* Parse main (with '@' for the directory) as "t.conf"; the errors must be want (with '@'),
 * in order. */
static struct conf *parse(const char *main, const char *const *want)
{
	_cleanup_free_ char *text = subst(main);
	struct conf *c = NULL;
	size_t n = 0;
	int r;

	while (want && want[n])
		n++;
	r = conf_parse_string("t.conf", text, &c);
	cr_assert_not_null(c);
	cr_expect_eq(r, n ? -EINVAL : 0, "result %d", r);
	for (size_t i = 0; i < n && i < c->n_errors; i++) {
		_cleanup_free_ char *w = subst(want[i]);

		cr_expect_str_eq(c->errors[i], w, "error %zu", i);
	}
	for (size_t i = n; i < c->n_errors; i++)
		cr_expect_fail("unexpected error: %s", c->errors[i]);
	for (size_t i = c->n_errors; i < n; i++)
		cr_expect_fail("missing error: %s", want[i]);
	return c;
}

#define IMPORT "[Netd]\nImportNixOSContainers=@\n"

static const struct conf_container *get(const struct conf *c, const char *name)
{
	const struct conf_container *cont = conf_find_container(c, name);

	cr_assert_not_null(cont, "container %s", name);
	return cont;
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

/* A model line is in file (with '@') at line want. */
static void expect_at(const struct conf *c, unsigned line, const char *file, unsigned want)
{
	_cleanup_free_ char *path = subst(file);
	unsigned l = 0;

	cr_expect_str_eq(conf_line_file(c, line, &l), path);
	cr_expect_eq(l, want, "line in %s", path);
}

static void expect_list(char **l, const char *const *want, const char *what)
{
	size_t n = 0;

	while (want[n])
		n++;
	cr_expect_eq(strv_length(l), n, "%s: length", what);
	for (size_t i = 0; i < n && i < strv_length(l); i++)
		cr_expect_str_eq(l[i], want[i], "%s[%zu]", what, i);
}

/* ---- files as the module writes them ---- */

/* containers.web = { privateNetwork = true; hostBridge = "br0"; autoStart = true;
 *   localAddress = "192.168.1.50/24"; localAddress6 = "2001:db8::50/64"; }; */
static const char bridged_conf[] =
	"SYSTEM_PATH=/nix/store/3b6yq4xv0dlyq8ck4nj3v0ig2xqw5wsq-nixos-system-web-24.05.20240715\n"
	"\n"
	"\n"
	"COPY_RESOLV_CONF=1\n"
	"PRIVATE_NETWORK=1\n"
	"HOST_BRIDGE=br0\n"
	"\n"
	"\n"
	"\n"
	"\n"
	"LOCAL_ADDRESS=192.168.1.50/24\n"
	"\n"
	"LOCAL_ADDRESS6=2001:db8::50/64\n"
	"\n"
	"\n"
	"\n"
	"\n"
	"PRIVATE_USERS=no\n"
	"INTERFACES=\"\"\n"
	"MACVLANS=\"\"\n"
	"AUTO_START=1\n"
	"\n"
	"EXTRA_NSPAWN_FLAGS=\"\"\n";

/* containers.db = { privateNetwork = true; hostAddress = "10.233.1.1"; hostAddress6 = "fc00::1";
 *   localAddress = "10.233.1.2"; localAddress6 = "fc00::2"; privateUsers = "pick";
 *   localMacAddress = "de:b7:73:01:10:90"; forwardPorts = [ { hostPort = 8080;
 *   containerPort = 80; } { protocol = "udp"; hostPort = 5353; containerPort = 53; }
 *   { hostPort = 2222; } ]; bindMounts."/data" = { hostPath = "/srv/data"; isReadOnly = false; };
 *   extraFlags = [ "--private-users-ownership=auto" ]; }; */
static const char host_conf[] =
	"SYSTEM_PATH=/nix/store/3b6yq4xv0dlyq8ck4nj3v0ig2xqw5wsq-nixos-system-db-24.05.20240715\n"
	"\n"
	"\n"
	"COPY_RESOLV_CONF=1\n"
	"PRIVATE_NETWORK=1\n"
	"\n"
	"HOST_PORT=tcp:8080:80,udp:5353:53,tcp:2222:2222\n"
	"\n"
	"HOST_ADDRESS=10.233.1.1\n"
	"\n"
	"HOST_ADDRESS6=fc00::1\n"
	"\n"
	"LOCAL_ADDRESS=10.233.1.2\n"
	"\n"
	"LOCAL_ADDRESS6=fc00::2\n"
	"\n"
	"LOCAL_MAC_ADDRESS=de:b7:73:01:10:90\n"
	"\n"
	"\n"
	"\n"
	"PRIVATE_USERS=pick\n"
	"INTERFACES=\"\"\n"
	"MACVLANS=\"\"\n"
	"\n"
	"EXTRA_NSPAWN_FLAGS=\" --bind=/srv/data:/data --private-users-ownership=auto\"\n";

/* containers.router = { flake = "github:example/config#router"; interfaces = [ "eth1" "eth2" ];
 *   macvlans = [ "enp1s0" ]; }; (no private network: spawn moves the links in) */
static const char lists_conf[] =
	"\n"
	"FLAKE=github:example/config#router\n"
	"\n"
	"COPY_RESOLV_CONF=1\n"
	"\n"
	"\n"
	"PRIVATE_USERS=no\n"
	"INTERFACES=\"eth1 eth2\"\n"
	"MACVLANS=\"enp1s0\"\n"
	"\n"
	"EXTRA_NSPAWN_FLAGS=\"\"\n";

/* An older module (18.03) indented some lines; /etc/containers was its directory. */
static const char old_module_conf[] =
	" SYSTEM_PATH=/nix/store/0wl8x7r0mnk3zvhfmqylwl7xfr7w5a6y-nixos-system-old-18.03\n"
	" PRIVATE_NETWORK=1\n"
	"HOST_ADDRESS=10.233.3.1\n"
	"\n"
	"LOCAL_ADDRESS=10.233.3.2\n"
	"\n"
	"\n"
	"  INTERFACES=\"\"\n"
	"\n"
	" EXTRA_NSPAWN_FLAGS=\"\"\n";

/* What `nixos-container create` writes for an imperative container. */
static const char imperative_conf[] = "PRIVATE_NETWORK=1\n"
				      "HOST_ADDRESS=10.233.4.1\n"
				      "LOCAL_ADDRESS=10.233.4.2\n"
				      "AUTO_START=0\n";

Test(nixos, bridged_container)
{
	const struct conf_container *w;
	struct conf *c;

	put("web.conf", bridged_conf);
	/* The module keeps extraVeths out of the file: the main file declares them. */
	c = parse(IMPORT "[ExtraVeth web-mgmt]\nContainer=web\nHostBridge=br-mgmt\n", NULL);
	cr_assert_eq(c->n_containers, 1);
	w = get(c, "web");
	cr_assert_eq(w->n_extras, 1);
	cr_expect_str_eq(w->extras[0]->name, "web-mgmt");
	cr_expect(w->private_network);
	cr_expect_str_eq(w->veth.host_bridge, "br0");
	cr_expect_str_eq(w->veth.ifname, "vb-web");
	expect_addr(&w->veth.host_addr4, 0, NULL, 0, "host4");
	expect_addr(&w->veth.local_addr4, AF_INET, "192.168.1.50", 24, "local4");
	expect_addr(&w->veth.local_addr6, AF_INET6, "2001:db8::50", 64, "local6");
	cr_expect_eq(w->n_forwards, 0);
	cr_expect_null(w->interfaces);
	cr_expect_null(w->macvlans);
	/* Nothing else is taken from the file: the defaults stay. */
	cr_expect_null(w->directory);
	cr_expect(!w->ephemeral);
	expect_at(c, w->line, "@/web.conf", 1);
	expect_at(c, 2, "t.conf", 2);
	conf_free(c);
}

Test(nixos, host_addresses_and_ports)
{
	static const struct {
		int proto;
		unsigned host, cont;
	} want[] = { { IPPROTO_TCP, 8080, 80 }, { IPPROTO_UDP, 5353, 53 },
		     { IPPROTO_TCP, 2222, 2222 } };
	const struct conf_container *d;
	struct conf *c;

	put("db.conf", host_conf);
	c = parse(IMPORT, NULL);
	d = get(c, "db");
	cr_expect(d->private_network);
	cr_expect_null(d->veth.host_bridge);
	cr_expect_str_eq(d->veth.ifname, "ve-db");
	expect_addr(&d->veth.host_addr4, AF_INET, "10.233.1.1", 32, "host4");
	expect_addr(&d->veth.host_addr6, AF_INET6, "fc00::1", 128, "host6");
	expect_addr(&d->veth.local_addr4, AF_INET, "10.233.1.2", 32, "local4");
	expect_addr(&d->veth.local_addr6, AF_INET6, "fc00::2", 128, "local6");
	cr_assert_eq(d->n_forwards, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct conf_forward *f = &d->forwards[i];

		cr_expect_eq(f->protocol, want[i].proto, "forward %zu", i);
		cr_expect_eq(f->host_addr.family, 0, "forward %zu", i);
		cr_expect_eq(f->host_port, want[i].host, "forward %zu", i);
		cr_expect_eq(f->host_port_end, want[i].host, "forward %zu", i);
		cr_expect_eq(f->container_port, want[i].cont, "forward %zu", i);
		cr_expect_eq(f->container_port_end, want[i].cont, "forward %zu", i);
		expect_at(c, f->line, "@/db.conf", 7);
	}
	conf_free(c);
}

Test(nixos, interface_lists_and_other_writers)
{
	static const char *const ifs[] = { "eth1", "eth2", NULL };
	static const char *const mvs[] = { "enp1s0", NULL };
	const struct conf_container *r, *o, *i;
	struct conf *c;

	put("router.conf", lists_conf);
	put("old.conf", old_module_conf);
	put("imp.conf", imperative_conf);
	c = parse(IMPORT, NULL);
	cr_assert_eq(c->n_containers, 3);
	r = get(c, "router");
	cr_expect(!r->private_network);
	expect_list(r->interfaces, ifs, "interfaces");
	expect_list(r->macvlans, mvs, "macvlans");
	o = get(c, "old");
	cr_expect(o->private_network);
	expect_addr(&o->veth.host_addr4, AF_INET, "10.233.3.1", 32, "old host4");
	expect_addr(&o->veth.local_addr4, AF_INET, "10.233.3.2", 32, "old local4");
	cr_expect_null(o->interfaces);
	i = get(c, "imp");
	cr_expect(i->private_network);
	expect_addr(&i->veth.local_addr4, AF_INET, "10.233.4.2", 32, "imperative local4");
	/* Sorted by file name, after the main file's containers. */
	cr_expect_str_eq(c->containers[0].name, "imp");
	cr_expect_str_eq(c->containers[1].name, "old");
	cr_expect_str_eq(c->containers[2].name, "router");
	conf_free(c);
}

/* Shell semantics: an assignment replaces what an earlier one set, lists included. */
Test(nixos, last_assignment_wins)
{
	static const char *const ifs[] = { "eth3", NULL };
	const struct conf_container *x;
	struct conf *c;

	put("x.conf", "PRIVATE_NETWORK=1\nLOCAL_ADDRESS=10.0.0.2\nINTERFACES=\"eth1 eth2\"\n"
		      "INTERFACES=\"eth3\"\nHOST_PORT=tcp:80:80,tcp:81:81\nHOST_PORT=udp:53:53\n"
		      "HOST_ADDRESS=10.0.0.1\nHOST_ADDRESS=\nPRIVATE_NETWORK=0\n");
	c = parse(IMPORT, NULL);
	x = get(c, "x");
	expect_list(x->interfaces, ifs, "interfaces");
	cr_assert_eq(x->n_forwards, 1);
	cr_expect_eq(x->forwards[0].protocol, IPPROTO_UDP);
	cr_expect_eq(x->forwards[0].host_port, 53);
	expect_addr(&x->veth.host_addr4, 0, NULL, 0, "host4 reset");
	cr_expect(!x->private_network);
	conf_free(c);
}

/* ---- errors ---- */

Test(nixos, malformed_files)
{
	static const char *const want[] = {
		"t.conf:4: unknown key \"Foo\" in [Container m]",
		"@/a.conf:2: invalid IPv4 address \"10.0.0.300\" for HOST_ADDRESS",
		"@/a.conf:4: invalid IPv6 address \"10.0.0.1\" for LOCAL_ADDRESS6",
		"@/b.conf:2: missing '=' in line",
		"@/b.conf:3: missing key before '='",
		"@/c.conf:2: unterminated double quote in value of INTERFACES",
		"@/c.conf:3: unterminated single quote in value of EXTRA_NSPAWN_FLAGS",
		"@/d.conf:3: invalid HOST_PORT entry \"sctp:9:9\", expected "
		"tcp|udp:HOSTPORT:CONTAINERPORT",
		"@/d.conf:3: HOST_PORT \"tcp:0:80\": port 0 is not allowed",
		"@/d.conf:3: invalid HOST_PORT entry \"\", expected tcp|udp:HOSTPORT:CONTAINERPORT",
		"@/d.conf:4: unknown key \"BOGUS\" for container \"d\"",
		"@/d.conf:5: invalid variable name \"export X\"",
		"@/d.conf:6: invalid PRIVATE_NETWORK \"yes\", expected 1 or 0",
		"@/d.conf:7: interface name \"an-interface-name\" is too long (max 15 bytes)",
		"@/e f.conf:1: invalid container name \"e f\"",
		NULL,
	};
	struct conf *c;

	put("a.conf", "PRIVATE_NETWORK=1\nHOST_ADDRESS=10.0.0.300\nLOCAL_ADDRESS=10.0.0.2\n"
		      "LOCAL_ADDRESS6=10.0.0.1\n");
	put("b.conf", "PRIVATE_NETWORK=1\nthis is not an assignment\n=1\n");
	put("c.conf", "PRIVATE_NETWORK=1\nINTERFACES=\"eth1 eth2\nEXTRA_NSPAWN_FLAGS='--x\n");
	put("d.conf", "PRIVATE_NETWORK=1\nLOCAL_ADDRESS=10.0.0.4\n"
		      "HOST_PORT=tcp:8080:80,sctp:9:9,tcp:0:80,\nBOGUS=1\nexport X=1\n"
		      "PRIVATE_NETWORK=yes\nMACVLANS=\"an-interface-name\"\n");
	/* Not read at all: the name is wrong, and the keys of a bad header are skipped. */
	put("e f.conf", "BOGUS=1\n");
	c = parse(IMPORT "[Container m]\nFoo=1\n", want);
	/* The keys of a file keep being read after an error. */
	expect_addr(&get(c, "a")->veth.local_addr4, AF_INET, "10.0.0.2", 32, "a local4");
	cr_expect_eq(get(c, "d")->n_forwards, 1);
	conf_free(c);
}

Test(nixos, declared_both_ways)
{
	static const char *const want[] = {
		"@/web.conf:1: container \"web\" is also declared by [Container web] at t.conf:3",
		NULL,
	};
	struct conf *c;

	put("web.conf", bridged_conf);
	put("db.conf", host_conf);
	c = parse(IMPORT "[Container web]\nPrivateNetwork=yes\n", want);
	cr_expect_eq(c->n_containers, 2);
	/* The main file's section stays as written; the file adds nothing to it. */
	cr_expect_null(get(c, "web")->veth.host_bridge);
	expect_at(c, get(c, "web")->line, "t.conf", 3);
	conf_free(c);
}

/* The checks across sections name the other place by its file when it is in another one. */
Test(nixos, checks_across_files)
{
	static const char *const want[] = {
		"@/b.conf:1: LocalAddress 10.0.0.2 is already used by container \"a\" (t.conf:1)",
		"@/c.conf:2: host port tcp/80 is already forwarded by container \"a\" (t.conf:3)",
		"@/e.conf:3: host port tcp/90 is already forwarded by container \"d\" (@/d.conf:2)",
		"@/f.conf:1: HostBridge= cannot be combined with HostAddress=",
		"@/g.conf:1: ForwardPort needs LocalAddress or LocalAddress6 in [Container g]",
		NULL,
	};

	put("b.conf", "LOCAL_ADDRESS=10.0.0.2\n");
	put("c.conf", "LOCAL_ADDRESS=10.0.0.3\nHOST_PORT=tcp:80:80\n");
	put("d.conf", "LOCAL_ADDRESS=10.0.0.4\nHOST_PORT=tcp:90:90\n");
	put("e.conf", "LOCAL_ADDRESS=10.0.0.5\n\nHOST_PORT=tcp:90:91\n");
	put("f.conf", "HOST_BRIDGE=br0\nHOST_ADDRESS=10.0.0.1\n");
	put("g.conf", "HOST_PORT=tcp:22:22\n");
	/* [Netd] after the sections: the import happens once the whole file is read. */
	conf_free(parse("[Container a]\nLocalAddress=10.0.0.2\nForwardPort=80\n" IMPORT, want));
}

Test(nixos, netd_section)
{
	static const struct {
		const char *name, *text, *errors[3];
	} cases[] = {
		{ "twice", "[Netd]\n[Container a]\n[Netd]\n",
		  { "t.conf:3: duplicate section [Netd], first defined at line 1" } },
		{ "the keys of a second one are skipped",
		  "[Netd]\n[Netd]\nImportNixOSContainers=/nonexistent\nBogus=1\n",
		  { "t.conf:2: duplicate section [Netd], first defined at line 1" } },
		{ "unknown key", "[Netd]\nFoo=1\nPrivateNetwork=yes\n",
		  { "t.conf:2: unknown key \"Foo\" in [Netd]",
		    "t.conf:3: unknown key \"PrivateNetwork\" in [Netd]" } },
		{ "not a container key", "[Container a]\nImportNixOSContainers=/etc\n",
		  { "t.conf:2: unknown key \"ImportNixOSContainers\" in [Container a]" } },
		{ "with a name", "[Netd main]\nImportNixOSContainers=/nonexistent\n",
		  { "t.conf:1: section [Netd] takes no name" } },
		{ "relative path", "[Netd]\nImportNixOSContainers=etc/nixos-containers\n",
		  { "t.conf:2: ImportNixOSContainers \"etc/nixos-containers\" is not an absolute "
		    "path" } },
		{ "missing directory",
		  "[Netd]\nImportNixOSContainers=/nonexistent/nixos-containers\n",
		  { "t.conf:2: cannot read ImportNixOSContainers directory "
		    "/nonexistent/nixos-containers: No such file or directory" } },
		{ "the last assignment counts",
		  "[Netd]\nImportNixOSContainers=/nonexistent/a\n\n"
		  "ImportNixOSContainers=/dev/null\n",
		  { "t.conf:4: cannot read ImportNixOSContainers directory /dev/null: Not a "
		    "directory" } },
		{ "an empty one resets", "[Netd]\nImportNixOSContainers=/nonexistent\n"
		  "ImportNixOSContainers=\n", {} },
		{ "empty section", "[Netd]\n", {} },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct conf *c = NULL;
		size_t n = 0;

		while (n < 3 && cases[i].errors[n])
			n++;
		cr_expect_eq(conf_parse_string("t.conf", cases[i].text, &c), n ? -EINVAL : 0,
			     "case %s", cases[i].name);
		cr_assert_not_null(c);
		cr_expect_eq(c->n_errors, n, "case %s: %zu errors", cases[i].name, c->n_errors);
		for (size_t j = 0; j < n && j < c->n_errors; j++)
			cr_expect_str_eq(c->errors[j], cases[i].errors[j], "case %s",
					 cases[i].name);
		for (size_t j = n; j < c->n_errors; j++)
			cr_log_error("case %s: unexpected %s", cases[i].name, c->errors[j]);
		conf_free(c);
	}
}

Test(nixos, empty_and_missing_directory)
{
	static const char *const want[] = {
		"t.conf:2: cannot read ImportNixOSContainers directory @/gone: No such file or "
		"directory",
		NULL,
	};
	struct conf *c;

	c = parse(IMPORT, NULL);
	cr_expect_eq(c->n_containers, 0);
	conf_free(c);
	conf_free(parse("[Netd]\nImportNixOSContainers=@/gone\n", want));
}

/* DIR/ *.conf as a shell glob matches it, regular files only (symlinks followed: the module's
 * files are links into /etc/static), sorted by name. The timeout fails a read that blocks. */
Test(nixos, which_files_are_read, .timeout = 10)
{
	_cleanup_free_ char *fifo = NULL, *sub = NULL, *store = NULL, *link = NULL;
	_cleanup_free_ char *dangling = NULL;
	struct conf *c;

	put("b.conf", "LOCAL_ADDRESS=10.0.0.2\n");
	put("a.conf", "LOCAL_ADDRESS=10.0.0.3\n");
	put(".hidden.conf", "BOGUS=1\n");
	put("notes.txt", "BOGUS=1\n");
	put("b.conf.bak", "BOGUS=1\n");
	put(".conf", "BOGUS=1\n");
	cr_assert(asprintf(&store, "%s/store", dir) > 0);
	cr_assert_eq(mkdir(store, 0755), 0);
	put("store/c", "LOCAL_ADDRESS=10.0.0.4\n");
	cr_assert(asprintf(&link, "%s/c.conf", dir) > 0);
	cr_assert_eq(symlink("store/c", link), 0);
	cr_assert(asprintf(&dangling, "%s/d.conf", dir) > 0);
	cr_assert_eq(symlink("store/nothing", dangling), 0);
	cr_assert(asprintf(&sub, "%s/sub.conf", dir) > 0);
	cr_assert_eq(mkdir(sub, 0755), 0);
	/* Skipped, and never read: reading a FIFO would block. */
	cr_assert(asprintf(&fifo, "%s/fifo.conf", dir) > 0);
	cr_assert_eq(mkfifo(fifo, 0644), 0);

	c = parse("[Netd]\nImportNixOSContainers=@/\n", NULL);
	cr_assert_eq(c->n_containers, 3);
	cr_expect_str_eq(c->containers[0].name, "a");
	cr_expect_str_eq(c->containers[1].name, "b");
	cr_expect_str_eq(c->containers[2].name, "c");
	expect_addr(&c->containers[2].veth.local_addr4, AF_INET, "10.0.0.4", 32, "through link");
	/* A trailing slash of DIR is not doubled in FILE. */
	expect_at(c, c->containers[2].line, "@/c.conf", 1);
	conf_free(c);
}

static void write_main(const char *path, const char *imports)
{
	_cleanup_free_ char *text = NULL;

	cr_assert(asprintf(&text, "[Netd]\nImportNixOSContainers=%s\n", imports) > 0);
	file_write(path, text);
}

/* A reload parses the main file again, which reads the directory again. */
Test(nixos, reload_reads_the_directory_again)
{
	_cleanup_free_ char *main = NULL, *imports = NULL;
	struct conf *c = NULL;

	cr_assert(asprintf(&main, "%s/netd.conf", dir) > 0);
	cr_assert(asprintf(&imports, "%s/containers", dir) > 0);
	cr_assert_eq(mkdir(imports, 0755), 0);
	write_main(main, imports);
	put("containers/a.conf", "LOCAL_ADDRESS=10.0.0.2\n");
	cr_assert_eq(conf_load(main, &c), 0);
	cr_expect_eq(c->n_containers, 1);
	conf_free(c);

	put("containers/b.conf", "LOCAL_ADDRESS=10.0.0.3\n");
	cr_assert_eq(conf_load(main, &c), 0);
	cr_expect_eq(c->n_containers, 2);
	cr_expect_not_null(conf_find_container(c, "b"));
	conf_free(c);

	put("containers/a.conf", "LOCAL_ADDRESS=10.0.0.3\n");
	cr_assert_eq(conf_load(main, &c), -EINVAL);
	cr_assert_eq(c->n_errors, 1);
	cr_expect(strstr(c->errors[0], "/containers/b.conf:1: LocalAddress 10.0.0.3 is already "
				       "used"),
		  "%s", c->errors[0]);
	conf_free(c);
}

/* ---- the environment-file syntax ---- */

Test(nixos, env_syntax)
{
	static const struct {
		const char *line;
		int r;
		const char *key, *value; /* value after unquoting, or the reason it fails */
		bool fails;
	} cases[] = {
		{ "A=b", 1, "A", "b", false },
		{ "  A_1 =  b c  ", 1, "A_1", "b c", false },
		{ "A=", 1, "A", "", false },
		{ "A=\"\"", 1, "A", "", false },
		{ "A=\"x y\"", 1, "A", "x y", false },
		{ "A=\" x \"  ", 1, "A", " x ", false },
		{ "A='x \" y'", 1, "A", "x \" y", false },
		{ "A=a\"b c\"d", 1, "A", "ab cd", false },
		{ "A=\"a\\\"b\\\\c\\$d\\`e\\nf\"", 1, "A", "a\"b\\c$d`e\\nf", false },
		{ "A=x\\ ", 1, "A", "x ", false },
		{ "A=x\\'y", 1, "A", "x'y", false },
		{ "A=x # not a comment", 1, "A", "x # not a comment", false },
		{ "A=b=c", 1, "A", "b=c", false },
		{ "", 0, NULL, NULL, false },
		{ "   ", 0, NULL, NULL, false },
		{ "# comment", 0, NULL, NULL, false },
		{ "  ; comment", 0, NULL, NULL, false },
		{ "A", -EINVAL, NULL, NULL, false },
		{ "A=\"x", 1, "A", "unterminated double quote", true },
		{ "A=\"x\\\"", 1, "A", "unterminated double quote", true },
		{ "A='x", 1, "A", "unterminated single quote", true },
		{ "A=x\\", 1, "A", "trailing backslash (line continuation) not supported", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *line = strdup(cases[i].line);
		char *key = NULL, *value = NULL;
		const char *err = NULL;
		int r;

		cr_assert_not_null(line);
		r = conf_env_split(line, &key, &value);
		cr_expect_eq(r, cases[i].r, "case %s: %d", cases[i].line, r);
		if (r <= 0 || cases[i].r <= 0)
			continue;
		cr_expect_str_eq(key, cases[i].key, "case %s", cases[i].line);
		r = conf_env_unquote(value, &err);
		cr_expect_eq(r, cases[i].fails ? -EINVAL : 0, "case %s", cases[i].line);
		if (r == 0)
			cr_expect_str_eq(value, cases[i].value, "case %s", cases[i].line);
		else
			cr_expect_str_eq(err, cases[i].value, "case %s", cases[i].line);
	}
}
