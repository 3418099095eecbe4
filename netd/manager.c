/* SPDX-License-Identifier: MIT */
/* Lifecycle: start, reload, and what the service manager is told. */
#include <stdlib.h>
#include <time.h>

#include "defer.h"
#include "log.h"
#include "manager.h"
#include "notify.h"
#include "reload.h"
#include "trim.h"

static char *format_status(const struct manager *m)
{
	const struct container_counts *c = &m->engine->counts;
	char *s;

	if (asprintf(&s,
		     "STATUS=configured=%u pending=%u failed=%u unmanaged=%u writes=%llu "
		     "reloads=%u rejected=%u",
		     c->configured, c->pending, c->failed, c->unmanaged,
		     (unsigned long long)m->engine->writes, m->reloads, m->rejected) < 0)
		return NULL;
	return s;
}

/* Send STATUS= when it changed, or READY=1 with STATUS= when ready. */
static void tell(struct manager *m, bool ready)
{
	_cleanup_free_ char *status = format_status(m);

	if (!status || (!ready && streq_ptr(status, m->status)))
		return;
	if (ready) {
		_cleanup_free_ char *msg = NULL;

		if (asprintf(&msg, "READY=1\n%s", status) >= 0)
			(void)notify_send(msg, true);
		log_info("ready: %s", status + strlen("STATUS="));
	} else {
		(void)notify_send(status, false);
	}
	free(m->status);
	m->status = TAKE_PTR(status);
}

/*
 * After every engine pass: a start or reload that has settled says READY=1. What a burst of
 * passes freed goes back to the kernel once they stop.
 */
static void on_pass(void *userdata)
{
	struct manager *m = userdata;
	int r = trim_schedule(m->event, &m->trim_src);

	if (r < 0)
		log_debug_errno(r, "Failed to schedule a heap trim, ignoring");

	if ((m->starting || m->reloading) && !engine_busy(m->engine)) {
		m->reloads += m->reloading;
		m->starting = m->reloading = false;
		tell(m, true);
	} else {
		tell(m, false);
	}
}

static void on_netns(const char *name, void *userdata)
{
	engine_netns_changed(userdata, name);
}

int manager_new(sd_event *event, struct conf *conf, const char *state_dir, int rcvbuf,
		struct manager **ret)
{
	struct manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->event = sd_event_ref(event);
	r = engine_new(event, conf, state_dir, rcvbuf, on_pass, m, &m->engine);
	if (r < 0) {
		manager_free(m);
		return r;
	}
	m->conf = conf;
	*ret = m;
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	nswatch_free(m->nswatch);
	engine_free(m->engine);
	sd_event_source_disable_unref(m->reload_src);
	sd_event_source_disable_unref(m->trim_src);
	conf_free(m->conf);
	free(m->status);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

int manager_start(struct manager *m)
{
	int r;

	m->starting = true;
	r = engine_start(m->engine);
	if (r < 0)
		return r;
	return nswatch_new(m->event, on_netns, m->engine, &m->nswatch);
}

/* The file in force stays; the kernel is not touched. */
static void reject(struct manager *m)
{
	log_error("Reload rejected, keeping the configuration in force");
	m->rejected++;
	/* An accepted reload (or the start) still settling says READY=1 when it is done. */
	if (!m->reloading && !m->starting)
		tell(m, true);
}

static void say_reloading(void)
{
	_cleanup_free_ char *msg = NULL;
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	if (asprintf(&msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		     (unsigned long long)ts.tv_sec * 1000000ULL +
			     (unsigned long long)ts.tv_nsec / 1000) >= 0)
		(void)notify_send(msg, true);
}

static int on_reload(sd_event_source *s, void *userdata)
{
	struct manager *m = userdata;
	struct conf *next = NULL;
	int r;

	say_reloading();
	r = reload_load(m->conf->path, &next);
	if (r >= 0) {
		r = reload_swap(m->engine, next);
		if (r < 0) {
			log_error_errno(r, "Failed to set up the new configuration");
			conf_free(next);
		}
	}
	if (r < 0) {
		reject(m);
		return 0;
	}
	conf_free(m->conf);
	m->conf = next;
	if (r > 0)
		log_error("Reloaded %s, but not all runtime state could be carried over",
			  m->conf->path);
	else
		log_info("Reloaded %s: %zu containers", m->conf->path, m->conf->n_containers);
	m->reloading = true;
	engine_schedule(m->engine);
	return 0;
}

void manager_request_reload(struct manager *m)
{
	/* A deferred source: a burst of SIGHUPs read in one loop iteration is one reload. */
	int r = defer_schedule(m->event, &m->reload_src, on_reload, m);

	if (r < 0)
		log_error_errno(r, "Failed to schedule a reload");
}
