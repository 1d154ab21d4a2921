/*
 * ctl_observers.c - the observers of one segment: fetched, and printed as
 * a table (see ctl_observers.h).
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "ctl_conn.h"
#include "ctl_fmt.h"
#include "ctl_observers.h"
#include "ctl_table.h"
#include "eshm.h"
#include "layout.h"

int
ctl_observers_fetch(const struct ctl_ctx *ctx, int sock, const char *name,
                    struct proto_observers_reply *out)
{
	struct proto_name req;
	int own = sock < 0, rc;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	if (own) {
		sock = proto_connect(ctx->socket_path);
		if (sock < 0)
			return ESHM_ERROR_DAEMON_UNAVAILABLE;
	}
	rc = proto_call(sock, PROTO_REQ_OBSERVERS, &req, NULL, PROTO_REP_OBSERVERS, out, NULL, NULL,
	                CTL_REPLY_TIMEOUT_MS);
	if (own)
		close(sock);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static const char *const ctl_observers_headers[] = {
	"OBSERVER", "PID", "PROCESS", "UID", "READS", "READ", "MISSED", "UNREAD", "ATTACHED",
};

/* The cells of observer @e. */
static int
ctl_observers_row(struct ctl_table *t, const struct proto_observer_info *e, uint32_t mode,
                  uint64_t now_ns)
{
	char v[CTL_FMT_SIZE], w[CTL_FMT_SIZE];
	int rc = 0;

	snprintf(v, sizeof(v), "%" PRIu32, e->slot);
	rc |= ctl_table_cell(t, v, NULL);
	rc |= ctl_table_cell(t, ctl_fmt_pid(e->pid, w), NULL);
	rc |= ctl_table_cell(t, e->comm[0] != '\0' ? e->comm : "-", NULL);
	snprintf(v, sizeof(v), "%" PRIu32, e->uid);
	rc |= ctl_table_cell(t, v, NULL);
	rc |= ctl_table_cell(t, e->observed == ESHM_ROLE_SLAVE ? "slave->master" : "master->slave",
	                     NULL);
	snprintf(v, sizeof(v), "%" PRIu64, e->read_count);
	rc |= ctl_table_cell(t, v, NULL);
	snprintf(v, sizeof(v), "%" PRIu64, e->missed);
	rc |= ctl_table_cell(t, v, NULL);
	if (mode == SEG_MODE_QUEUE)
		snprintf(v, sizeof(v), "%" PRIu32, e->unread);
	else
		snprintf(v, sizeof(v), "-");
	rc |= ctl_table_cell(t, v, NULL);
	snprintf(v, sizeof(v), "%s ago", ctl_fmt_since(e->attach_realtime_ns, now_ns, w));
	rc |= ctl_table_cell(t, v, NULL);
	return rc;
}

int
ctl_observers_print(const struct proto_observers_reply *o, uint32_t mode, uint64_t now_ns,
                    FILE *out, const char *eol)
{
	struct ctl_table *t;
	uint32_t i;
	int rc = 0;

	if (o->count == 0)
		return 0;
	t = ctl_table_new(9, ctl_observers_headers, "rrlrlrrrl");
	if (t == NULL)
		return -1;
	for (i = 0; i < o->count && i < PROTO_OBSERVERS_MAX && rc == 0; i++)
		rc = ctl_observers_row(t, &o->observer[i], mode, now_ns);
	if (rc == 0)
		rc = ctl_table_print(t, out, eol);
	ctl_table_free(t);
	return rc;
}
