/* SPDX-License-Identifier: MIT */
/* Interface-name rules: validity, container link names, nspawn-compatible shortening. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ifname.h"

Test(ifname, siphash24_reference_vectors)
{
	/* SipHash paper, appendix A: key 00..0f, message 00..0e. And the empty message from
	 * the reference implementation's vectors.h. */
	uint8_t key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	cr_expect_eq(ifname_siphash24(msg, sizeof(msg), key), UINT64_C(0xa129ca6149be45e5));
	cr_expect_eq(ifname_siphash24(msg, 0, key), UINT64_C(0x726fdb47dd0e0e31));
}

Test(ifname, valid)
{
	static const struct {
		const char *name;
		bool alt, valid;
	} cases[] = {
		{ "eth0", false, true },
		{ "ve-web", false, true },
		{ "123456789012345", false, true },
		{ "1234567890123456", false, false },
		{ "1234567890123456", true, true },
		{ "", false, false },
		{ "", true, false },
		{ ".", false, false },
		{ "..", true, false },
		{ "...", false, true },
		{ "a/b", false, false },
		{ "a:b", false, false },
		{ "a b", false, false },
		{ "a\tb", true, false },
		{ "a\nb", false, false },
		{ "a\xa0" "b", false, false },
		{ "ünï", false, true },
	};
	char alt127[IFNAME_ALT_MAX + 2];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(ifname_valid(cases[i].name, cases[i].alt), cases[i].valid,
			     "case \"%s\" alt=%d", cases[i].name, cases[i].alt);

	memset(alt127, 'a', IFNAME_ALT_MAX);
	alt127[IFNAME_ALT_MAX] = '\0';
	cr_expect(ifname_valid(alt127, true));
	cr_expect(!ifname_valid(alt127, false));
	alt127[IFNAME_ALT_MAX] = 'a';
	alt127[IFNAME_ALT_MAX + 1] = '\0';
	cr_expect(!ifname_valid(alt127, true));
	cr_expect(!ifname_valid(NULL, true));
}

Test(ifname, shorten)
{
	/*
	 * Expected values: siphash24(name, key e1 90 a4 04 a8 ef 4b 51 8c cc c3 3a 9f 11 fc a2),
	 * computed with an independent Python SipHash; the low 24 bits as 4 url-safe base64
	 * characters, most significant first, after the first 11 bytes. E.g. for
	 * "ve-verylongcontainername" the hash is 0xa959bc4616d7e419; its low 24 bits d7e419 are
	 * the sextets 53 62 16 25 = "1-QZ". That is what systemd-nspawn names such a link.
	 */
	static const struct {
		const char *full, *expect;
		int ret;
	} cases[] = {
		{ "ve-web", "ve-web", 0 },
		{ "123456789012345", "123456789012345", 0 },
		{ "ve-verylongcontainername", "ve-verylong1-QZ", 1 },
		{ "vb-verylongcontainername", "vb-verylonggaag", 1 },
		{ "ve-0123456789abc", "ve-01234567swdo", 1 },
	};
	char out[IFNAMSIZ];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		cr_expect_eq(ifname_shorten(cases[i].full, out), cases[i].ret, "case %s",
			     cases[i].full);
		cr_expect_str_eq(out, cases[i].expect, "case %s", cases[i].full);
		cr_expect_leq(strlen(out), 15, "case %s", cases[i].full);
		cr_expect(ifname_valid(out, false), "case %s", cases[i].full);
	}
}

Test(ifname, shorten_deterministic_and_distinct)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];

	cr_assert_eq(ifname_shorten("ve-container-number-one", a), 1);
	cr_assert_eq(ifname_shorten("ve-container-number-one", b), 1);
	cr_assert_eq(ifname_shorten("ve-container-number-two", c), 1);
	cr_expect_str_eq(a, b);
	cr_expect_eq(strlen(a), 15);
	cr_expect_str_neq(a, c, "same 11-byte prefix must still give different names");
	cr_expect_eq(strncmp(a, "ve-containe", 11), 0);
}

Test(ifname, shorten_rejects_invalid)
{
	char out[IFNAMSIZ] = "untouched";
	char toolong[IFNAME_ALT_MAX + 2];

	cr_expect_eq(ifname_shorten("", out), -EINVAL);
	cr_expect_eq(ifname_shorten("a/b", out), -EINVAL);
	cr_expect_eq(ifname_shorten("ve-with space in it", out), -EINVAL);
	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	cr_expect_eq(ifname_shorten(toolong, out), -EINVAL);
	cr_expect_str_eq(out, "untouched");
}

Test(ifname, container_host)
{
	char buf[IFNAME_ALT_MAX + 1], small[8];
	char longname[200];

	cr_expect_eq(ifname_container_host("web", false, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "ve-web");
	cr_expect_eq(ifname_container_host("web", true, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "vb-web");
	cr_expect_eq(ifname_container_host("webserver", false, small, sizeof(small)),
		     -ENAMETOOLONG);
	memset(longname, 'a', 125);
	longname[125] = '\0';
	cr_expect_eq(ifname_container_host(longname, false, buf, sizeof(buf)), -ENAMETOOLONG);
	longname[124] = '\0';
	cr_expect_eq(ifname_container_host(longname, false, buf, sizeof(buf)), 0);
	cr_expect_eq(strlen(buf), IFNAME_ALT_MAX);
}

Test(ifname, matches)
{
	char *alts[] = { "other", "ve-verylongcontainername" };
	static const struct {
		const char *name, *full, *kname;
		size_t n_alt;
		bool match;
	} cases[] = {
		{ "same name", "ve-web", "ve-web", 0, true },
		{ "different", "ve-web", "ve-db", 0, false },
		{ "shortened", "ve-verylongcontainername", "ve-verylong1-QZ", 0, true },
		{ "shortened wrong hash", "ve-verylongcontainername", "ve-verylong1-QA", 0, false },
		{ "altname", "ve-verylongcontainername", "renamed0", 2, true },
		{ "altname not listed", "ve-verylongcontainername", "renamed0", 1, false },
		{ "short full never shortened", "ve-web", "ve-webxxxxxxxxx", 0, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(ifname_matches(cases[i].full, cases[i].kname, alts, cases[i].n_alt),
			     cases[i].match, "case %s", cases[i].name);
	cr_expect(!ifname_matches(NULL, "x", NULL, 0));
}
