/*
 * brg_run.c - the bridge's main thread (brg_run.h): reports the local real
 * endpoint on DDS, judges the remote one from the other side's reports,
 * declares it to eshmd.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "brg_bridge.h"
#include "brg_ddsconf.h"
#include "brg_ddslog.h"
#include "brg_err.h"
#include "brg_log.h"
#include "brg_notify.h"
#include "brg_proxy.h"
#include "brg_pump.h"
#include "brg_remote.h"
#include "brg_run.h"
#include "brg_sink.h"
#include "brg_state.h"
#include "clock.h"
#include "layout.h"

#define BRG_RUN_MS UINT64_C(1000000)

/* What the main loop keeps between its turns. */
struct brg_loop {
	struct brg_remote remote;
	struct brg_state_peer peer;
	struct brg_proxy proxy;
	struct brg_report local;     /* last reported */
	struct brg_report declared;  /* last declared */
	bool reported, judged;
	uint64_t next_report, next_declare;
	enum brg_proxy_status proxy_said; /* the last proxy status logged */
	int proxy_error_said;
	dds_entity_t ws;
};

static bool
brg_run_same(const struct brg_report *a, const struct brg_report *b)
{
	return a->state == b->state && a->pid == b->pid && a->attaches == b->attaches &&
	       strcmp(a->host, b->host) == 0;
}

/* The host name, or "localhost" when the kernel has none to give. */
static void
brg_run_host(struct brg_bridge *b)
{
	if (b->cfg.host[0] != '\0') {
		snprintf(b->host, sizeof(b->host), "%s", b->cfg.host);
		return;
	}
	if (gethostname(b->host, sizeof(b->host) - 1) != 0 || b->host[0] == '\0')
		snprintf(b->host, sizeof(b->host), "localhost");
	b->host[sizeof(b->host) - 1] = '\0';
}

/* Take the stand-in's role in the local segment. */
static int
brg_run_attach(struct brg_bridge *b)
{
	char err[512];
	int rc = brg_local_open(&b->local, &b->cfg, b->cfg.socket, err, sizeof(err));

	if (rc != BRG_OK)
		brg_log(LOG_ERR, "%s", err);
	return rc;
}

/* Open DDS with the local segment's real geometry. */
static int
brg_run_open(struct brg_bridge *b)
{
	struct brg_dds_spec spec;
	char err[512], *conf = NULL;
	int rc;

	rc = brg_ddsconf_full(&b->cfg, getenv("CYCLONEDDS_URI"), &conf);
	if (rc != BRG_OK) {
		brg_log(LOG_ERR, "cannot build the DDS configuration: %s", brg_strerror(rc));
		return rc;
	}
	memset(&spec, 0, sizeof(spec));
	spec.segment = b->cfg.segment;
	spec.stand_in = b->cfg.stand_in;
	spec.mode = b->local.mode;
	spec.queue_depth = b->local.queue_depth;
	spec.domain = b->cfg.domain;
	spec.config = conf;
	spec.lease_ms = b->cfg.lease_ms;
	rc = brg_dds_open(&b->dds, &spec, err, sizeof(err));
	free(conf);
	if (rc != BRG_OK) {
		brg_log(LOG_ERR, "%s", err);
		return rc;
	}
	b->wake = dds_create_guardcondition(b->dds.participant);
	b->sink_stop = dds_create_guardcondition(b->dds.participant);
	b->pump_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->wake < 0 || b->sink_stop < 0 || b->pump_stop < 0) {
		brg_log(LOG_ERR, "cannot create the threads' wake-ups");
		return BRG_ERR_NO_MEMORY;
	}
	return BRG_OK;
}

/* The main loop's wait: the state reader's samples and liveliness, and news. */
static int
brg_run_waitset(struct brg_bridge *b, struct brg_loop *l)
{
	dds_entity_t rc;

	l->ws = dds_create_waitset(b->dds.participant);
	if (l->ws < 0)
		return BRG_ERR_DDS;
	rc = dds_create_readcondition(b->dds.state_reader, DDS_ANY_STATE);
	if (rc < 0 || dds_waitset_attach(l->ws, rc, 0) < 0 ||
	    dds_set_status_mask(b->dds.state_reader, DDS_LIVELINESS_CHANGED_STATUS) < 0 ||
	    dds_waitset_attach(l->ws, b->dds.state_reader, 0) < 0 ||
	    dds_waitset_attach(l->ws, b->wake, 0) < 0)
		return BRG_ERR_DDS;
	return BRG_OK;
}

/* Log what eshmd made of the declarations, once per change of answer. */
static void
brg_run_proxy_said(struct brg_loop *l, int rc)
{
	struct brg_proxy *p = &l->proxy;

	if (p->status == l->proxy_said && p->last_error == l->proxy_error_said)
		return;
	l->proxy_said = p->status;
	l->proxy_error_said = p->last_error;
	switch (p->status) {
	case BRG_PROXY_ACCEPTED:
		brg_log(LOG_INFO, "eshmd at %s takes the remote's state", p->socket);
		break;
	case BRG_PROXY_UNSUPPORTED:
		brg_log(LOG_WARNING,
		        "eshmd at %s does not support PROXY: local programs see the bridge's own "
		        "liveness, not the remote process's (asking again every %u s)",
		        p->socket, BRG_PROXY_RETRY_MS / 1000);
		break;
	case BRG_PROXY_REFUSED:
		brg_log(LOG_WARNING, "eshmd at %s refuses the remote's state: %s%s%s", p->socket,
		        eshm_error_string(p->last_error), p->message[0] ? ": " : "", p->message);
		break;
	case BRG_PROXY_UNREACHABLE:
		brg_log(LOG_WARNING, "eshmd at %s cannot be reached to declare the remote's state (%s)",
		        p->socket, brg_strerror(rc));
		break;
	case BRG_PROXY_UNKNOWN:
		break;
	}
}

/* Report the local endpoint when it changed or its period came. */
static int
brg_run_report(struct brg_bridge *b, struct brg_loop *l, uint64_t now)
{
	struct brg_report cur;
	int rc = brg_local_peer(&b->local, &cur);

	if (rc != BRG_OK) {
		brg_log(LOG_ERR, "the bridge lost its role in the local segment");
		return rc;
	}
	snprintf(cur.host, sizeof(cur.host), "%s", b->host);
	if (l->reported && brg_run_same(&cur, &l->local) && now < l->next_report)
		return BRG_OK;
	if (!l->reported || cur.state != l->local.state || cur.pid != l->local.pid)
		brg_log(LOG_INFO, "the local %s (pid %d) is %s",
		        proto_role_name(b->local.role == ESHM_ROLE_MASTER ? ESHM_ROLE_SLAVE
		                                                          : ESHM_ROLE_MASTER),
		        (int)cur.pid, seg_state_name(cur.state));
	/* A failed publish is tried again at the next turn. */
	if (brg_state_publish(b, &cur) == BRG_OK) {
		l->local = cur;
		l->reported = true;
		l->next_report = now + brg_config_state_period(&b->cfg) * BRG_RUN_MS;
	}
	return BRG_OK;
}

/* Judge the remote and declare it when it changed or its period came. */
static void
brg_run_declare(struct brg_bridge *b, struct brg_loop *l, uint64_t now)
{
	struct brg_report cur;
	char status[256];
	int rc;

	brg_remote_judge(&l->remote, now, &cur);
	if (b->cfg.remote_host[0] != '\0')
		snprintf(cur.host, sizeof(cur.host), "%s", b->cfg.remote_host);
	if (l->judged && brg_run_same(&cur, &l->declared) && now < l->next_declare)
		return;
	if (!l->judged || cur.state != l->declared.state || cur.pid != l->declared.pid) {
		brg_log(LOG_NOTICE, "the remote %s%s%s (pid %d) is %s", proto_role_name(b->local.role),
		        cur.host[0] ? " on " : "", cur.host, (int)cur.pid, seg_state_name(cur.state));
		snprintf(status, sizeof(status), "remote %s on %s: %s; local %s",
		         proto_role_name(b->local.role), cur.host[0] ? cur.host : "?",
		         seg_state_name(cur.state), seg_state_name(l->local.state));
		brg_notify_status(status);
	}
	l->declared = cur;
	l->judged = true;
	l->next_declare = now + BRG_DECLARE_PERIOD_MS * BRG_RUN_MS;
	rc = brg_proxy_declare(&l->proxy, &cur, now);
	brg_run_proxy_said(l, rc);
}

/* How long the loop may sleep at @now: until the next thing it must do. */
static dds_duration_t
brg_run_timeout(const struct brg_loop *l, uint64_t now)
{
	uint64_t next = now + BRG_LOOP_MAX_MS * BRG_RUN_MS;
	uint64_t change = brg_remote_next_change(&l->remote, now);

	if (l->next_report < next)
		next = l->next_report;
	if (l->next_declare < next)
		next = l->next_declare;
	if (change < next)
		next = change;
	return next > now ? (dds_duration_t)(next - now) : 0;
}

static int
brg_run_loop(struct brg_bridge *b, struct brg_loop *l, volatile sig_atomic_t *stop)
{
	uint64_t now;
	bool woken;
	int rc;

	while (*stop == 0 && !atomic_load(&b->stopping)) {
		now = clock_mono_ns();
		if (brg_state_take(b, &l->remote, &l->peer, now) < 0)
			brg_log(LOG_WARNING, "cannot read the other side's reports");
		rc = brg_run_report(b, l, now);
		if (rc != BRG_OK)
			return rc;
		brg_run_declare(b, l, now);
		dds_waitset_wait(l->ws, NULL, 0, brg_run_timeout(l, clock_mono_ns()));
		dds_take_guardcondition(b->wake, &woken);
	}
	return BRG_OK;
}

static void
brg_run_close(struct brg_bridge *b, struct brg_loop *l)
{
	atomic_store(&b->stopping, true);
	brg_notify_stopping();
	brg_pump_stop(b);
	brg_sink_stop(b);
	if (b->dds.state_writer > 0 && brg_state_withdraw(b) != BRG_OK)
		brg_log(LOG_WARNING, "cannot tell the other side that the bridge leaves");
	brg_log(LOG_INFO,
	        "stopping: %llu messages sent, %llu received, %llu written, %llu refused, "
	        "%llu lost at the stop, %llu waits for room",
	        (unsigned long long)atomic_load(&b->n.sent),
	        (unsigned long long)atomic_load(&b->n.received),
	        (unsigned long long)atomic_load(&b->n.written),
	        (unsigned long long)atomic_load(&b->n.refused),
	        (unsigned long long)atomic_load(&b->n.lost),
	        (unsigned long long)atomic_load(&b->n.waits));
	brg_proxy_close(&l->proxy);
	brg_dds_close(&b->dds);
	if (b->pump_stop >= 0)
		close(b->pump_stop);
	brg_local_close(&b->local);
}

int
brg_run(const struct brg_config *cfg, volatile sig_atomic_t *stop)
{
	struct brg_bridge *b;
	struct brg_loop l;
	int rc;

	if (cfg == NULL || stop == NULL || brg_config_check(cfg, NULL, 0) != BRG_OK)
		return BRG_ERR_INVALID;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return BRG_ERR_NO_MEMORY;
	memset(&l, 0, sizeof(l));
	b->cfg = *cfg;
	b->pump_stop = -1;
	pthread_mutex_init(&b->sink_lock, NULL);
	b->start_ns = clock_real_ns();
	brg_run_host(b);
	brg_ddslog_open();
	rc = brg_run_attach(b);
	if (rc == BRG_OK)
		rc = brg_remote_init(&l.remote, cfg->lease_ms, cfg->dead_after_ms);
	if (rc == BRG_OK)
		rc = brg_proxy_init(&l.proxy, cfg->socket, cfg->segment, cfg->stand_in);
	/* Declare the remote (stale, never heard of) at once, before DDS
	 * takes its time to start: STATUS= says so from the start, and an
	 * eshmd without stand-in attaches (before 0.3.0) shows the role alive
	 * on the bridge's own account only until this declaration. */
	if (rc == BRG_OK)
		brg_run_declare(b, &l, clock_mono_ns());
	if (rc == BRG_OK)
		rc = brg_run_open(b);
	if (rc == BRG_OK && brg_run_waitset(b, &l) != BRG_OK) {
		brg_log(LOG_ERR, "cannot wait for the other side's reports");
		rc = BRG_ERR_DDS;
	}
	if (rc == BRG_OK)
		rc = brg_pump_start(b);
	if (rc == BRG_OK)
		rc = brg_sink_start(b);
	if (rc == BRG_OK) {
		brg_log(LOG_INFO,
		        "standing in for the %s of %s: a %s segment of %llu bytes, DDS domain %u "
		        "on %s",
		        proto_role_name(cfg->stand_in), cfg->segment,
		        b->local.mode == ESHM_CHANNEL_QUEUE ? "queue" : "latest-value",
		        (unsigned long long)b->local.capacity, cfg->domain, cfg->interface);
		brg_notify_ready();
		rc = brg_run_loop(b, &l, stop);
	}
	brg_run_close(b, &l);
	brg_ddslog_close();
	if (rc == BRG_OK)
		rc = atomic_load(&b->failure);
	pthread_mutex_destroy(&b->sink_lock);
	free(b);
	return rc;
}
