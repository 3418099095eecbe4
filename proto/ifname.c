/* SPDX-License-Identifier: MIT */
/*
 * Interface-name rules: what the kernel accepts, the names of container links, and the
 * systemd-nspawn way of shortening names that do not fit in IFNAMSIZ.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ifname.h"

/*
 * systemd's SHORTEN_IFNAME_HASH_KEY (netif-util.c, nspawn-network.c). It must stay byte for
 * byte the same: a container started by systemd-nspawn and one started by spawn must get the
 * same host link name, or netd would not find the link.
 */
static const uint8_t shorten_key[16] = {
	0xe1, 0x90, 0xa4, 0x04, 0xa8, 0xef, 0x4b, 0x51,
	0x8c, 0xcc, 0xc3, 0x3a, 0x9f, 0x11, 0xfc, 0xa2,
};

/* The kernel's isspace() (lib/ctype.c) also counts 0xa0 (NBSP) as space; dev_valid_name()
 * uses it, so we do too. */
static bool kernel_isspace(unsigned char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || ch == 0xa0;
}

bool ifname_valid(const char *name, bool alt)
{
	size_t max = alt ? IFNAME_ALT_MAX : IFNAMSIZ - 1;

	if (!name || !*name)
		return false;
	if (strnlen(name, max + 1) > max)
		return false;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p == ':' || kernel_isspace(*p))
			return false;
	return true;
}

/* RFC 4648 section 5: no '/', which could not appear in a sysfs file name. */
static char urlsafe_base64char(unsigned v)
{
	static const char table[64] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz"
				      "0123456789-_";
	return table[v & 63];
}

/*
 * Same as systemd's net_shorten_ifname() with the NAMING_NSPAWN_LONG_HASH scheme (v247 and
 * later): the first IFNAMSIZ - 5 = 11 bytes, then the low 24 bits of the 64-bit hash as four
 * url-safe base64 characters, most significant sextet first.
 */
int ifname_shorten(const char *full, char ret[static IFNAMSIZ])
{
	size_t len;
	uint64_t h;

	if (!ifname_valid(full, true))
		return -EINVAL;

	len = strlen(full);
	if (len < IFNAMSIZ) {
		memcpy(ret, full, len + 1);
		return 0;
	}

	h = ifname_siphash24(full, len, shorten_key);
	memcpy(ret, full, IFNAMSIZ - 5);
	ret[IFNAMSIZ - 5] = urlsafe_base64char(h >> 18);
	ret[IFNAMSIZ - 4] = urlsafe_base64char(h >> 12);
	ret[IFNAMSIZ - 3] = urlsafe_base64char(h >> 6);
	ret[IFNAMSIZ - 2] = urlsafe_base64char(h);
	ret[IFNAMSIZ - 1] = '\0';
	return 1;
}

int ifname_container_host(const char *container, bool bridged, char *ret, size_t len)
{
	int n;

	n = snprintf(ret, len, "%s%s", bridged ? "vb-" : "ve-", container);
	if (n < 0)
		return -EINVAL;
	/* A name the kernel cannot even take as altname, or one the caller's buffer cannot hold. */
	if ((size_t)n > IFNAME_ALT_MAX || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

bool ifname_matches(const char *full, const char *name, char *const *altnames, size_t n_alt)
{
	char shortened[IFNAMSIZ];

	if (!full || !name)
		return false;
	if (strcmp(full, name) == 0)
		return true;
	/* A link created by systemd-nspawn before altnames existed (or whose altname could not be
	 * set) carries only the shortened name. */
	if (ifname_shorten(full, shortened) > 0 && strcmp(shortened, name) == 0)
		return true;
	for (size_t i = 0; i < n_alt; i++)
		if (altnames[i] && strcmp(altnames[i], full) == 0)
			return true;
	return false;
}

/* SipHash-2-4 (Aumasson, Bernstein 2012): little-endian words, 2 compression rounds per
 * 8-byte block and 4 finalisation rounds. */

static uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t read_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

static void sip_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t ifname_siphash24(const void *data, size_t len, const uint8_t key[static 16])
{
	const uint8_t *p = data;
	uint64_t k0 = read_le64(key), k1 = read_le64(key + 8);
	uint64_t v[4] = {
		k0 ^ UINT64_C(0x736f6d6570736575),
		k1 ^ UINT64_C(0x646f72616e646f6d),
		k0 ^ UINT64_C(0x6c7967656e657261),
		k1 ^ UINT64_C(0x7465646279746573),
	};
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	size_t tail = len % 8;

	for (; len >= 8; len -= 8, p += 8)
		sip_compress(v, read_le64(p));
	for (size_t i = 0; i < tail; i++)
		last |= (uint64_t)p[i] << (8 * i);
	sip_compress(v, last);

	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
