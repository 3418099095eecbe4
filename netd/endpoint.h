/* SPDX-License-Identifier: MIT */
/* What each end of a declared veth should carry: the desired state the reconciler plans for. */
#pragma once

#include "container.h"
#include "reconcile.h"

/*
 * Fill ret with what ep's link (ifindex) should look like. bridge_ifindex is HostBridge's
 * ifindex, 0 when it does not exist (the link is not enslaved then).
 */
void endpoint_desired(const struct endpoint *ep, int ifindex, int bridge_ifindex,
		      struct desired *ret);
