# daemon/local.mk - eshmd, the broker.  Included by the top Makefile.am.
sbin_PROGRAMS += daemon/eshmd
daemon_eshmd_SOURCES = \
	daemon/daemon.h \
	daemon/main.c \
	daemon/cmdline.h daemon/cmdline.c \
	daemon/settings.h daemon/settings.c \
	daemon/server.h daemon/server.c \
	daemon/events.h daemon/events.c \
	daemon/request.h daemon/request.c \
	daemon/reply.h daemon/reply.c \
	daemon/access.h daemon/access.c \
	daemon/budget.h daemon/budget.c \
	daemon/registry.h daemon/registry.c \
	daemon/memfd.h daemon/memfd.c \
	daemon/statusblock.h daemon/statusblock.c \
	daemon/endpoint.h daemon/endpoint.c \
	daemon/observer.h daemon/observer.c \
	daemon/obsquiet.h daemon/obsquiet.c \
	daemon/cleanup.h daemon/cleanup.c \
	daemon/records.h daemon/records.c \
	daemon/fdstore.h daemon/fdstore.c \
	daemon/restore.h daemon/restore.c \
	daemon/monitor.h daemon/monitor.c \
	daemon/rate.h daemon/rate.c \
	daemon/notify.h daemon/notify.c \
	daemon/log.h daemon/log.c \
	daemon/history.h daemon/history.c \
	daemon/history_req.h daemon/history_req.c \
	daemon/proxy.h daemon/proxy.c \
	daemon/procinfo.h daemon/procinfo.c
# The default configuration file is the configured one, passed at make time
# as the units' paths are.
daemon_eshmd_CPPFLAGS = $(AM_CPPFLAGS) -DESHMD_CONF_DEFAULT='"$(eshmconfdir)/eshmd.conf"'
daemon_eshmd_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(INIH_CFLAGS)
daemon_eshmd_LDADD = common/libeshm-common.la $(LIBSYSTEMD_LIBS) $(INIH_LIBS) $(PTHREAD_LIBS)
