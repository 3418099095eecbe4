/* SPDX-License-Identifier: MIT */
/*
 * Containers at run time: the endpoints (both ends of each declared veth) bound to kernel
 * links, the container's namespace, and the state derived from them (the state file).
 */
#pragma once

#include "conf.h"
#include "state.h"

struct manager;
struct netns;

/* One end of one declared veth pair. */
struct endpoint {
	struct container *ct;         /* borrowed: owner */
	const struct conf_veth *veth; /* borrowed: from the current conf generation */
	const char *name_inside;      /* borrowed: name the container side must carry, or NULL */
	bool inside;                  /* the container-side end */
	bool main;                    /* the container's main veth (else an extra veth) */
	int ifindex;                  /* bound link in its namespace, 0 when none */
	char *error;                  /* owned: why configuring it failed, NULL when it did not */
};

struct container {
	struct manager *m;                 /* borrowed */
	const struct conf_container *conf; /* borrowed: from the current conf generation */
	struct netns *ns;  /* owned: the container's namespace while it is managed */
	bool unmanaged;    /* its host link exists but /run/netns/NAME cannot be used */
	int ns_error;      /* why it could not (-errno), so that a retry logs only news */
	struct endpoint *eps; /* owned: pairs (host, inside): the main veth first, then extras */
	size_t n_eps;
	char *state_text;  /* owned: the state file's current content, NULL when there is none */
	enum state_kind state; /* meaningful while state_text != NULL */
	bool dirty;        /* recompute its state */
};

/* Whether any host-side link of ct exists. */
bool container_has_links(const struct container *ct);

/* Recompute ct's state; write its state file when it changed, remove it when ct has no links. */
void container_update_state(struct container *ct);

/* Remove state files of containers that are not declared or have no links (at start). */
void container_prune_state_dir(struct manager *m);
