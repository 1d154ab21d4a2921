/*
 * main.c - eshmd's start and end: settings, descriptors passed by
 * systemd, socket, restore of the recorded segments, monitor, event loop;
 * and the reload on SIGHUP.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "access.h"
#include "clock.h"
#include "log.h"
#include "monitor.h"
#include "fdstore.h"
#include "notify.h"
#include "records.h"
#include "restore.h"
#include "server.h"

static void
eshmd_log_settings(const struct eshmd_settings *s)
{
	log_msg(LOG_INFO,
	        "settings: prefix %s, stale threshold %u ms, check interval %u ms, "
	        "max %u segments (%u per user) / %u endpoints / %u connections (%u per user) / "
	        "%llu bytes (%llu per user) / capacity %llu / %u observers, "
	        "cleanup %s, access %s%s%s, admin group %s",
	        s->shm_prefix, s->default_stale_ms, s->check_interval_ms, s->max_segments,
	        s->max_segments_user, s->max_endpoints, s->max_clients, s->max_clients_user,
	        (unsigned long long)s->max_bytes, (unsigned long long)s->max_bytes_user,
	        (unsigned long long)s->max_capacity, s->max_observers,
	        settings_cleanup_name(s->cleanup), settings_access_name(s->access),
	        s->access == ESHMD_ACCESS_GROUP ? " " : "",
	        s->access == ESHMD_ACCESS_GROUP ? s->access_group : "",
	        s->admin_group[0] != '\0' ? s->admin_group : "(none: root only)");
}

/*
 * Re-read the configuration (SIGHUP).  A bad file keeps the current
 * settings; the socket and the prefix change only at restart.
 */
static void
eshmd_reload(struct eshmd *d)
{
	struct eshmd_settings s;
	struct eshmd_groups groups;
	char err[512];

	ntf_reloading();
	log_msg(LOG_INFO, "SIGHUP: reloading the configuration");
	if (cmd_settings(&d->cmd, &s, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s; keeping the current settings", err);
		ntf_ready();
		return;
	}
	if (strcmp(s.socket_path, d->set.socket_path) != 0) {
		log_msg(LOG_NOTICE, "socket %s takes effect only at restart; still on %s",
		        s.socket_path, d->set.socket_path);
		snprintf(s.socket_path, sizeof(s.socket_path), "%s", d->set.socket_path);
	}
	if (strcmp(s.shm_prefix, d->set.shm_prefix) != 0) {
		log_msg(LOG_NOTICE, "shm_prefix %s takes effect only at restart; still %s",
		        s.shm_prefix, d->set.shm_prefix);
		snprintf(s.shm_prefix, sizeof(s.shm_prefix), "%s", d->set.shm_prefix);
	}
	if (s.event_history != d->set.event_history) {
		log_msg(LOG_NOTICE, "event_history %u takes effect only at restart; still %u",
		        s.event_history, d->set.event_history);
		s.event_history = d->set.event_history;
	}
	if (strcmp(s.records_dir, d->set.records_dir) != 0) {
		log_msg(LOG_NOTICE, "records_directory takes effect only at restart; still %s",
		        d->records_dir);
		snprintf(s.records_dir, sizeof(s.records_dir), "%s", d->set.records_dir);
	}
	acc_resolve_groups(&s, &groups);
	pthread_mutex_lock(&d->reg.lock);
	d->set = s;
	d->groups = groups;
	pthread_mutex_unlock(&d->reg.lock);
	log_set_verbose(s.verbose);
	eshmd_log_settings(&s);
	ntf_ready();
}

/*
 * Each segment holds three memfds and each holder a pidfd (10,000
 * segments: some 50,000 descriptors): let the soft limit reach the hard
 * one.
 */
static void
eshmd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Record an event about eshmd itself. */
static void __attribute__((format(printf, 3, 4)))
eshmd_event(struct eshmd *d, enum hist_type type, const char *fmt, ...)
{
	struct hist_subject s = {.role = -1, .pid = getpid(), .uid = geteuid(), .owner = 0};
	char text[PROTO_TEXT_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&d->reg.lock);
	hist_record(d, type, &s, "%s", text);
	pthread_mutex_unlock(&d->reg.lock);
}

/* The records directory: the setting, or "records" beside the socket. */
static void
eshmd_records_dir(struct eshmd *d)
{
	const char *slash = strrchr(d->set.socket_path, '/');

	if (d->set.records_dir[0] != '\0')
		snprintf(d->records_dir, sizeof(d->records_dir), "%s", d->set.records_dir);
	else
		snprintf(d->records_dir, sizeof(d->records_dir), "%.*s/records",
		         (int)(slash != NULL ? slash - d->set.socket_path : 0), d->set.socket_path);
}

int
main(int argc, char **argv)
{
	static struct eshmd d;
	struct fds_entry *stored = NULL;
	size_t nstored = 0;
	char err[512];
	enum srv_end end;
	sigset_t set;
	int rc = 0, passed = -1, loaded;

	log_open();
	if (cmd_parse(argc, argv, &d.cmd) < 0)
		return 1;
	if (d.cmd.help) {
		cmd_usage(argv[0]);
		return 0;
	}
	if (d.cmd.version) {
		printf("eshmd %s\n", PACKAGE_VERSION);
		return 0;
	}
	loaded = cmd_settings(&d.cmd, &d.set, err, sizeof(err));
	if (loaded < 0) {
		log_msg(LOG_ERR, "%s", err);
		return 1;
	}
	if (d.cmd.check_config) {
		if (loaded == 1)
			printf("configuration OK: %s does not exist, the built-in defaults apply\n",
			       cmd_config_path(&d.cmd));
		else
			printf("configuration OK: %s\n", cmd_config_path(&d.cmd));
		return 0;
	}
	log_set_verbose(d.set.verbose);
	d.listen_fd = d.epfd = d.signal_fd = d.timer_fd = d.spare_fd = -1;
	d.start_mono_ns = clock_mono_ns();
	if (reg_init(&d.reg) < 0) {
		log_msg(LOG_ERR, "cannot initialise the registry");
		return 1;
	}
	if (hist_init(&d.hist, d.set.event_history) < 0)
		return 1;
	/* Blocked before any thread starts, so only the signalfd sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	eshmd_raise_nofile();
	eshmd_event(&d, HIST_STARTED, "eshmd %s starting (pid %d)", PACKAGE_VERSION,
	            (int)getpid());
	eshmd_log_settings(&d.set);
	acc_resolve_groups(&d.set, &d.groups);
	eshmd_records_dir(&d);
	if (srv_setup(&d) < 0 || fds_take(&passed, &stored, &nstored) < 0 ||
	    srv_listen(&d, passed) < 0 || rec_open_dir(d.records_dir) < 0) {
		rc = 1;
		goto out;
	}
	log_msg(LOG_INFO, "%d segment(s) restored from %s%s", rst_restore(&d, stored, nstored),
	        d.records_dir, fds_enabled() ? " and the descriptor store" : "");
	if (mon_start(&d) < 0 || srv_start(&d) < 0) {
		rc = 1;
		goto out;
	}
	ntf_ready();
	while ((end = srv_run(&d)) == SRV_RELOAD)
		eshmd_reload(&d);
	if (end == SRV_FAIL) {
		ntf_stopping();
		rc = 1;
	}
out:
	free(stored);
	mon_stop(&d);
	srv_shutdown(&d);
	eshmd_event(&d, HIST_STOPPED, "eshmd stopped");
	reg_destroy(&d.reg);
	hist_free(&d.hist);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.signal_fd >= 0)
		close(d.signal_fd);
	if (d.timer_fd >= 0)
		close(d.timer_fd);
	return rc;
}
