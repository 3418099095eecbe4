/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP: parse the file into a new generation; on any error keep the old one and touch
 * nothing; otherwise swap it in and let the pass apply the difference. Runtime state that
 * outlives a generation (namespaces, state files) moves to the new containers by name.
 */
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "notify.h"
#include "pass.h"

static void log_conf_errors(const struct conf *c)
{
	for (size_t i = 0; c && i < c->n_errors; i++)
		log_error("%s", c->errors[i]);
}

/* A dropped container: its state file goes, its namespace is cleaned up by the orphans. */
static int drop_container(struct manager *m, struct container *old)
{
	if (old->state_text) {
		int r = state_file_remove(m->state_dir, old->conf->name);

		if (r < 0)
			log_warning_errno(r, "%s: failed to remove state file, ignoring",
					  old->conf->name);
	}
	return old->ns ? manager_orphan_ns(m, TAKE_PTR(old->ns)) : 0;
}

/* A container declared again before its orphaned namespace was cleaned up takes it back. */
static struct netns *adopt_orphan(struct manager *m, const char *name)
{
	for (size_t i = 0; i < m->n_orphans; i++) {
		struct netns *ns = m->orphans[i];

		if (streq_ptr(ns->name, name)) {
			m->orphans[i] = m->orphans[--m->n_orphans];
			return ns;
		}
	}
	return NULL;
}

static int carry_runtime(struct manager *m, struct container *cts, const struct conf *next)
{
	int r;

	for (size_t i = 0; i < m->n_containers; i++) {
		struct container *old = &m->containers[i];
		const struct conf_container *nc = conf_find_container(next, old->conf->name);
		struct container *ct;

		if (!nc || !nc->private_network) {
			r = drop_container(m, old);
			if (r < 0)
				return r;
			continue;
		}
		ct = &cts[nc - next->containers];
		ct->ns = TAKE_PTR(old->ns);
		ct->unmanaged = old->unmanaged;
		ct->state = old->state;
		ct->state_text = TAKE_PTR(old->state_text);
	}
	for (size_t i = 0; i < next->n_containers; i++)
		if (!cts[i].ns)
			cts[i].ns = adopt_orphan(m, next->containers[i].name);
	return 0;
}

/*
 * Swap next in (taken over on success). Returns 0; -ENOMEM before anything changed (next
 * stays the caller's); 1 when the swap happened but runtime state was partly lost.
 */
static int swap_conf(struct manager *m, struct conf *next)
{
	struct container *cts;
	struct claim *claims;
	size_t n_claims;
	int r;

	/* What can fail without harm comes first: without its claims, the rebinding would
	 * release every link netd configured. */
	r = manager_containers_new(m, next, &cts);
	if (r < 0)
		return r;
	r = manager_claims_build(cts, next->n_containers, &claims, &n_claims);
	if (r < 0) {
		manager_containers_free(cts, next->n_containers);
		return r;
	}
	free(m->claims); /* it points into the containers about to go */
	m->claims = claims;
	m->n_claims = n_claims;
	r = carry_runtime(m, cts, next);
	manager_containers_free(m->containers, m->n_containers);
	m->containers = cts;
	m->n_containers = next->n_containers;
	conf_free(m->conf);
	m->conf = next;
	m->generation++;
	manager_rebind(m);
	return r < 0 ? 1 : 0;
}

/* The file in force stays; the kernel is not touched. */
static void reject(struct manager *m, struct conf *next)
{
	log_error("Reload rejected, keeping the configuration in force");
	conf_free(next);
	m->rejected++;
	/* An accepted reload (or the start) still settling says READY=1 when it is done. */
	if (!m->reloading && !m->starting)
		pass_notify(m, true);
}

static int on_reload(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	struct conf *next = NULL;
	_cleanup_free_ char *msg = NULL;
	struct timespec ts;
	int r;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (asprintf(&msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		     (unsigned long long)ts.tv_sec * 1000000ULL +
			     (unsigned long long)ts.tv_nsec / 1000) >= 0)
		(void)notify_send(msg, true);
	r = conf_load(m->conf->path, &next);
	if (r == -EINVAL)
		log_conf_errors(next);
	else if (r < 0)
		log_error_errno(r, "Failed to read %s", m->conf->path);
	if (r >= 0) {
		r = swap_conf(m, next);
		if (r < 0)
			log_error_errno(r, "Failed to set up the new configuration");
	}
	if (r < 0) {
		reject(m, next);
		return 0;
	}
	if (r > 0)
		log_error("Reloaded %s, but not all runtime state could be carried over",
			  m->conf->path);
	else
		log_info("Reloaded %s: %zu containers", m->conf->path, m->conf->n_containers);
	m->reloading = true;
	pass_schedule(m);
	return 0;
}

void manager_request_reload(struct manager *m)
{
	int r;

	/* A deferred source: a burst of SIGHUPs read in one loop iteration is one reload. */
	if (!m->reload_src) {
		r = sd_event_add_defer(m->event, &m->reload_src, on_reload, m);
		if (r < 0) {
			log_error_errno(r, "Failed to schedule a reload");
			return;
		}
	}
	(void)sd_event_source_set_enabled(m->reload_src, SD_EVENT_ONESHOT);
}
