/* SPDX-License-Identifier: MIT */
/*
 * What a link should carry: the desired state the reconciler plans for, from the endpoint it
 * serves (DESIGN.md's host-address and bridge modes). Pure: no I/O, unit-testable.
 */
#pragma once

#include "endpoint.h"
#include "reconcile.h"

/* The declared bridge netd enslaved a link to: a link's memory across plans. */
struct desired_bridge {
	int ifindex; /* 0: none */
	char name[IFNAMSIZ];
};

struct desired_input {
	const struct endpoint *ep; /* borrowed; NULL for a link being released */
	int ifindex;               /* the link */
	int master;                /* its current master (0: none) */
	int bridge_ifindex;        /* the ifindex of ep's HostBridge, 0 when it does not exist */
};

/*
 * Fill ret with what the link should look like, and update its bridge memory mem. A released
 * link keeps only what netd did not give it (an empty desired state). Bridge membership is
 * netd's as well: a link still in the bridge netd put it in leaves it when the declaration no
 * longer names that bridge (released, HostBridge dropped or changed). A bridge renamed away
 * keeps its port: the declaration did not change, the bridge is only missing.
 */
void desired_for_link(const struct desired_input *in, struct desired_bridge *mem,
		      struct desired *ret);
