/* SPDX-License-Identifier: MIT */
/*
 * The declared configuration shared by netd and spawn: model and parser.
 *
 * Feed the parser line by line with conf_parse_line(), then conf_finish() imports the NixOS
 * module's container files ([Netd] ImportNixOSContainers=) and runs the checks that span
 * sections. The only I/O is conf_load() reading the file and conf_finish() reading that
 * directory. Every problem is recorded as "FILE:LINE: message" and parsing goes on, so one run
 * reports all of them. A loaded conf is immutable; a reload parses a new one (and so reads the
 * directory again).
 *
 * Lines: the "line" fields of the model number the lines of the main file and, after them,
 * those of each imported file in turn (see conf_line_file()). A section read from an imported
 * file is at its line 1.
 */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* An address with prefix length; family 0 means "not set". Six a container: kept small. */
struct conf_addr {
	union in_addr_union addr;
	uint8_t family;    /* AF_INET, AF_INET6, or 0 */
	uint8_t prefixlen; /* /32 or /128 when the text gave none */
};

struct conf_forward {
	int protocol;              /* IPPROTO_TCP (default) or IPPROTO_UDP */
	struct conf_addr host_addr; /* family 0: any of the host's addresses; prefixlen full */
	uint16_t host_port, host_port_end;           /* end == port for a single port */
	uint16_t container_port, container_port_end; /* defaults to the host range */
	unsigned line;
};

/* The network side of one veth pair: the container's main veth or an extra veth. */
struct conf_veth {
	char *host_bridge; /* owned; NULL: host-address mode */
	struct conf_addr host_addr4, host_addr6;
	struct conf_addr local_addr4, local_addr6;
	/* Link name on the host (and, for extra veths, in the container too): at most 15 bytes,
	 * shortened as systemd-nspawn does when the full name is longer. */
	char ifname[IFNAMSIZ];
	char *altname; /* owned; full name when ifname was shortened, else NULL */
};

struct conf_extra {
	char *name; /* owned: the section name, the full link name */
	unsigned line;
	char *container; /* owned: Container= */
	struct conf_veth veth;
};

struct conf_container {
	char *name; /* owned */
	unsigned line;
	bool private_network;
	struct conf_veth veth; /* ifname is ve-NAME or vb-NAME (shortened when needed) */
	struct conf_addr gateway4, gateway6;
	struct conf_forward *forwards; /* owned array */
	size_t n_forwards;
	struct conf_extra **extras; /* owned array of borrowed pointers into conf->extras */
	size_t n_extras;
	/* Masquerade=: after conf_finish() the families actually masqueraded (yes: those with a
	 * LocalAddress); before it, what the key asked for. */
	bool masquerade4, masquerade6;
	bool masquerade_auto; /* yes/true/1/on: every family with a LocalAddress */
	unsigned masquerade_line;

	/* spawn-only keys */
	char **interfaces, **macvlans; /* owned NULL-terminated string lists */
	char *directory;               /* owned; NULL: the default (conf_container_directory()) */
	char **binds, **binds_ro, **tmpfs, **capabilities, **device_allow; /* owned lists */
	bool ephemeral;
	bool enable_tun;
	uint64_t timeout_start_usec; /* default 60 s */
};

struct conf_names;
struct conf_source;

struct conf {
	char *path; /* owned */
	/* [Netd] (netd_line 0: there is none) */
	unsigned netd_line;
	char *import_nixos_dir; /* owned: ImportNixOSContainers=, NULL when unset */
	unsigned import_nixos_line;
	struct conf_container *containers; /* owned array, in file order */
	size_t n_containers;
	struct conf_extra *extras; /* owned array, in file order */
	size_t n_extras;
	/* owned: section name -> index into containers / extras, for conf_find_container() */
	struct conf_names *container_names, *extra_names;
	char **errors; /* owned list of "FILE:LINE: message", n_errors long */
	size_t n_errors;
	unsigned *error_lines; /* owned: the line of each error, for sorting them */
	/* owned: the imported files, in the order their lines follow the main file's */
	struct conf_source *sources;
	size_t n_sources;
	unsigned n_lines; /* the last line in use, over the main file and the imported ones */
	/* parser state */
	int section_kind;
	size_t section_index;
	bool finished;
};

/* Allocate an empty conf that reports errors against path. Returns 0 or -ENOMEM. */
int conf_new(const char *path, struct conf **ret) _must_check_;

/*
 * Parse one line (without its newline; lineno counts from 1). Syntax and value errors are
 * recorded in conf->errors and are not failures of this call. Returns 0, or -ENOMEM.
 */
int conf_parse_line(struct conf *c, unsigned lineno, const char *line) _must_check_;

/*
 * Import the files of ImportNixOSContainers= (when set), run the cross-section checks, fill
 * defaults and derived names. A directory or file that cannot be read is an error recorded
 * like the others. Returns 0 when the conf is valid, -EINVAL when c->n_errors > 0, -ENOMEM.
 */
int conf_finish(struct conf *c) _must_check_;

/*
 * Parse a whole text (lines split on '\n'; a last line without newline is still a line)
 * and finish. On -EINVAL *ret is still set so the caller can print c->errors; on
 * other errors *ret is untouched. Returns 0, -EINVAL, -ENOMEM.
 */
int conf_parse_string(const char *path, const char *text, struct conf **ret) _must_check_;

/* Read path and conf_parse_string() it. -errno when the file cannot be read. */
int conf_load(const char *path, struct conf **ret) _must_check_;

/* Accepts NULL; returns NULL. */
struct conf *conf_free(struct conf *c);

/* Returns a borrowed pointer, or NULL. Constant time. */
const struct conf_container *conf_find_container(const struct conf *c, const char *name);

/*
 * The container's root directory: Directory=, or /var/lib/containers/NAME. The default is not
 * stored in the model, which netd holds for every container and never asks this of.
 * Returns 0 or -ENOMEM; *ret is the caller's to free.
 */
int conf_container_directory(const struct conf_container *cc, char **ret) _must_check_;

/*
 * The file a line of the model (a section's, a forward's) is in: returns its path (borrowed:
 * lifetime of c) and, when ret_line is not NULL, sets *ret_line to the line within that file.
 * Logarithmic in the number of imported files.
 */
const char *conf_line_file(const struct conf *c, unsigned line, unsigned *ret_line);

/* Equal addresses (family, bytes and prefix length). */
bool conf_addr_equal(const struct conf_addr *a, const struct conf_addr *b);
/* Print "ADDR/PREFIX" into buf (at least INET6_ADDRSTRLEN + 4 bytes); returns buf. */
const char *conf_addr_to_string(const struct conf_addr *a, char *buf, size_t len);
