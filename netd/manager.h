/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle: the manager owns the config generation in force, the engine that applies it,
 * the namespace watch and the reload trigger, and tells the service manager how things
 * stand (READY=1 once a start or reload has settled, STATUS= counts).
 */
#pragma once

#include <systemd/sd-event.h>

#include "conf.h"
#include "engine.h"
#include "nswatch.h"

struct manager {
	sd_event *event;        /* owned reference */
	struct conf *conf;      /* owned: the generation in force */
	struct engine *engine;  /* owned */
	struct nswatch *nswatch; /* owned */
	sd_event_source *reload_src; /* owned: deferred reload (coalesces SIGHUP bursts) */
	sd_event_source *trim_src;   /* owned: returns free heap pages once passes settle */
	bool starting, reloading;
	unsigned reloads, rejected;
	char *status;           /* owned: last STATUS= sent */
};

/* Create the manager around an already loaded conf (taken over on success). 0 or -errno. */
int manager_new(sd_event *event, struct conf *conf, const char *state_dir, int rcvbuf,
		struct manager **ret) _must_check_;
/* Accepts NULL; returns NULL. */
struct manager *manager_free(struct manager *m);

/* Start: dump the host, bind, watch /run/netns; READY=1 follows once settled. 0 or -errno. */
int manager_start(struct manager *m) _must_check_;

/* Schedule a reload of the config file (SIGHUP). */
void manager_request_reload(struct manager *m);
