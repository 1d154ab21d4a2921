# daemon/local.mk - eshmd, the broker.  Included by the top Makefile.am.
sbin_PROGRAMS += daemon/eshmd
daemon_eshmd_SOURCES = \
	daemon/daemon.h \
	daemon/main.c \
	daemon/cmdline.c \
	daemon/settings.h daemon/settings.c \
	daemon/server.c \
	daemon/request.c \
	daemon/access.c \
	daemon/registry.h daemon/registry.c \
	daemon/segment.h daemon/segment.c \
	daemon/endpoint.c \
	daemon/cleanup.c \
	daemon/adopt.c \
	daemon/monitor.c \
	daemon/notify.c
daemon_eshmd_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(INIH_CFLAGS)
daemon_eshmd_LDADD = common/libeshm-common.la $(LIBSYSTEMD_LIBS) $(INIH_LIBS) $(PTHREAD_LIBS)
