/* SPDX-License-Identifier: MIT */
/* One end of one declared veth pair: what the planner and the claims need to know of it. */
#pragma once

#include <stdbool.h>

#include "conf.h"

struct container;

struct endpoint {
	struct container *ct;            /* borrowed: owner */
	const struct conf_container *cc; /* borrowed: its container's declaration */
	const struct conf_veth *veth;    /* borrowed: from the same conf generation */
	bool inside;                     /* the container-side end */
	bool main;                       /* the container's main veth (else an extra veth) */
	int ifindex;                     /* bound link in its namespace, 0 when none (claim.c) */
};
