/* SPDX-License-Identifier: MIT */
/*
 * Containers at run time, one per declared container of the current generation: their
 * endpoints (both ends of each declared veth), the container's namespace while netd manages
 * it, and the verdict derived from the links (the state file).
 */
#pragma once

#include "conf.h"
#include "endpoint.h"
#include "list.h"
#include "state.h"

struct nsview;

/* How many containers are in each state (those with a state file), for STATUS=. */
struct container_counts {
	unsigned configured, pending, failed, unmanaged;
};

/* One per declared container: its fields are ordered so that no padding goes between them. */
struct container {
	const struct conf_container *conf; /* borrowed: from the current conf generation */
	struct nsview *ns;  /* owned: the container's namespace while it is managed */
	int ns_error;       /* why it could not (-errno), so that a retry logs only news */
	bool unmanaged;     /* its host link exists but /run/netns/NAME cannot be used */
	bool attach;        /* look for its side of each pair (open the namespace) in the next pass */
	bool recheck;       /* /run/netns/NAME may have come, gone or changed: check it first */
	bool has_state;     /* its state file exists */
	struct endpoint *eps; /* owned: pairs (host, inside): the main veth first, then extras */
	size_t n_eps;
	/*
	 * A hash of the state file's content, so that it is written only when it changes; the
	 * text itself would cost a hundred bytes a container. A collision would keep one
	 * change from being written: with 64 bits, no practical concern. Meaningful while
	 * has_state, as is state.
	 */
	uint64_t state_hash;
	enum state_kind state;
	/* Its forwards and masquerade are installed: set when it is first configured after its
	 * links appeared, cleared when its links are gone. */
	bool forwarding;
	bool localnet;             /* route_localnet is on on its host link */
	uint64_t since_usec;   /* CLOCK_REALTIME of the last change of state kind (SINCE=) */
	struct container_counts counted; /* what it adds to the engine's counts */
	const char *forward_error; /* borrowed (the engine's): installing its forwards failed */
	struct list_node work_node;  /* linked while on the work list (attach, verdict) */
	struct list_node *work_list; /* borrowed: the engine's */
};

/*
 * Runtime objects for every container of conf, in its order; they go on no work list until
 * container_table_set_work(). Returns 0 or -ENOMEM.
 */
int container_table_new(const struct conf *conf, struct container **ret) _must_check_;
/* Free n containers and the array (their namespaces too). Accepts NULL. */
void container_table_free(struct container *cts, size_t n);
/* Let the n containers go on the work list work. */
void container_table_set_work(struct container *cts, size_t n, struct list_node *work);

/* The container of cts (from conf) called name, or NULL. */
struct container *container_table_find(struct container *cts, const struct conf *conf,
				       const char *name);

/*
 * Whether two declarations of a container ask the same of its links (addresses, bridges,
 * names, gateways, extra veths), and the same of the nftables table (forwards, masquerade).
 */
bool container_same_links(const struct conf_container *a, const struct conf_container *b);
bool container_same_forwards(const struct conf_container *a, const struct conf_container *b);

/* Whether any host-side link of ct is bound. */
bool container_has_links(const struct container *ct);
/* The inside endpoint of a pair, from its host endpoint. */
struct endpoint *container_inside_of(struct endpoint *host_ep);

/* Recompute its state in the next pass; also look at /run/netns/NAME when attach. */
void container_mark(struct container *ct, bool attach);
/* Take ct off the work list (the pass took it). */
void container_take(struct container *ct);

/*
 * Recompute ct's state from its links (host view host, its own view ct->ns); write its state
 * file in state_dir when it changed, remove it when ct has no links; keep counts up to date.
 * Returns 1 when ct->forwarding changed (its table entries must be installed or removed), else
 * 0; a container whose entries are still to be installed is written as pending, and must be
 * judged again once they are.
 */
int container_update_state(struct container *ct, struct nsview *host, const char *state_dir,
			   struct container_counts *counts);

/* Whether ct declares anything for the nftables table (forwards, masquerade). */
bool container_has_forwards(const struct container *ct);

/* The host-side link a forward's traffic to ct leaves through: its bridge in bridge mode,
 * else the main host link's actual name; NULL when it has none. Borrowed. */
const char *container_forward_link(const struct container *ct, struct nsview *host);

/* Remove the state file, if any (ct's share of counts goes with it). */
void container_remove_state(struct container *ct, const char *state_dir,
			    struct container_counts *counts);

/* Add ct's share to counts (after a reload built new containers). */
void container_count(struct container *ct, struct container_counts *counts);

/* Remove state files of containers that are not declared or have no links (at start). */
void container_prune_state_dir(struct container *cts, const struct conf *conf,
			       const char *state_dir);
