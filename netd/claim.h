/* SPDX-License-Identifier: MIT */
/*
 * Which kernel link serves which declared endpoint. A host link is claimed by its name or an
 * altname; the container side is the veth peer of a claimed host link, inside the container's
 * namespace view. Renames, re-creations, re-dumps and reloads all come down to (re)binding.
 * No I/O: work that needs the kernel (opening a namespace, asking about a link again) is
 * marked on the container or link record and done by the engine's pass.
 */
#pragma once

#include "container.h"
#include "nsview.h"

struct claim_entry {
	const char *name;    /* borrowed from the conf */
	struct endpoint *ep; /* borrowed: a host-side endpoint */
};

struct claims {
	struct claim_entry *index; /* owned, sorted by name */
	size_t n_index;
	struct container *containers; /* borrowed: the engine's, of the same generation */
	size_t n_containers;
	struct nsview *host; /* borrowed: the engine's */
};

/*
 * Build the index over the host-side endpoints of n containers (PrivateNetwork=yes only).
 * host is filled in later. Returns 0 or -ENOMEM (*ret untouched).
 */
int claim_index_build(struct container *cts, size_t n, struct claims *ret) _must_check_;
void claim_index_done(struct claims *c);

/* The host-side endpoint that claims link l (by name or altname; veths only), or NULL. */
struct endpoint *claim_lookup(const struct claims *c, const struct nl_link *l);

/* A host link appeared or changed (old_name: its name before, NULL when new). 0 or -ENOMEM. */
int claim_host_changed(struct claims *c, struct cache_link *cl, const char *old_name);
/* A host link is going away. */
void claim_host_removed(struct claims *c, const struct cache_link *cl);
/* A link appeared, changed (0 or -ENOMEM) or is going away in ct's namespace. */
int claim_inside_changed(struct container *ct, const struct cache_link *cl);
void claim_inside_removed(struct container *ct, const struct cache_link *cl);

/*
 * Bind every host link anew (after the first dump, a re-dump, a reload): bindings that still
 * hold are left alone, links that no endpoint claims any more are released, endpoints that
 * lost or found a link have their containers marked. Returns 0 or -ENOMEM.
 */
int claim_rebind_host(struct claims *c) _must_check_;
/* Bind the container side of ct's bound pairs anew in ct->ns (after attaching, a re-dump, a
 * reload); links it no longer claims there are released. Returns 0 or -ENOMEM. */
int claim_rebind_inside(struct claims *c, struct container *ct) _must_check_;

/* ns is let go (its container is gone from the config): release every link netd claims in it. */
void claim_release_all(struct nsview *ns);
/* The endpoints are about to be freed (reload): records forget them until the rebind. */
void claim_forget_all(struct nsview *ns);

/*
 * A reload replaced old by ct, with the same declaration of its links: ct takes over old's
 * bindings (its endpoints' links, and the records that point at them) as they are.
 */
void claim_carry(struct nsview *host, struct container *old, struct container *ct);
/* old leaves (dropped or changed in a reload): the host records that serve it forget it. */
void claim_forget_host(struct nsview *host, struct container *old);

/* ct's namespace went (or now names another one): forget its side of every pair. */
void claim_detach_inside(struct container *ct);
