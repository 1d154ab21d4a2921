# libclient/local.mk - libeshm-client, the library applications link, and
# its public header include/eshm.h.  Included by the top Makefile.am.
include_HEADERS = include/eshm.h
# The library's code in a convenience library, so that eshmctl can link it
# in (it reads channels as an observer) and stay a program of its own.
noinst_LTLIBRARIES += libclient/libeshm-client-core.la
libclient_libeshm_client_core_la_SOURCES = \
	libclient/handle.h \
	libclient/init.c \
	libclient/options.c \
	libclient/attach.c \
	libclient/peer.c \
	libclient/observers.c \
	libclient/io.c \
	libclient/zerocopy.c \
	libclient/wait.c \
	libclient/spin.h \
	libclient/spin.c \
	libclient/events.c \
	libclient/thread.c \
	libclient/heartbeat.c \
	libclient/control.c \
	libclient/liveness.c
libclient_libeshm_client_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
lib_LTLIBRARIES += libclient/libeshm-client.la
libclient_libeshm_client_la_SOURCES =
libclient_libeshm_client_la_LIBADD = libclient/libeshm-client-core.la common/libeshm-common.la \
	$(PTHREAD_LIBS)
libclient_libeshm_client_la_LDFLAGS = -version-info $(LIBESHM_CLIENT_LT_VERSION) \
	-Wl,--version-script=$(top_srcdir)/libclient/libeshm-client.map -no-undefined
EXTRA_libclient_libeshm_client_la_DEPENDENCIES = $(top_srcdir)/libclient/libeshm-client.map
EXTRA_DIST += libclient/libeshm-client.map libclient/libeshm-client.pc.in
pkgconfig_DATA = libclient/libeshm-client.pc
