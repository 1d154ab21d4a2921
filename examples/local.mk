# examples/local.mk - the demo README.md runs (examples/demo.sh starts a
# private eshmd, and eshm-demo as a master and a slave), and two event
# loops: eshm-epoll serving several segments from one epoll set, and
# eshm-sdevent serving one from an sd-event loop.  Every example is built
# with the tree (tests/test_events runs eshm-epoll) and its source is
# installed under the documentation.  Included by the top Makefile.am.
noinst_PROGRAMS += examples/eshm-demo examples/eshm-epoll examples/eshm-sdevent
examples_eshm_demo_SOURCES = examples/eshm-demo.c
examples_eshm_demo_LDADD = libclient/libeshm-client.la
examples_eshm_epoll_SOURCES = examples/eshm-epoll.c
examples_eshm_epoll_LDADD = libclient/libeshm-client.la
examples_eshm_sdevent_SOURCES = examples/eshm-sdevent.c
examples_eshm_sdevent_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
examples_eshm_sdevent_LDADD = libclient/libeshm-client.la $(LIBSYSTEMD_LIBS)
dist_noinst_SCRIPTS += examples/demo.sh
eshmexamplesdir = $(docdir)/examples
dist_eshmexamples_DATA = examples/eshm-demo.c examples/eshm-epoll.c examples/eshm-sdevent.c \
	examples/systemd/eshm-metrics.service examples/systemd/eshm-metrics.timer
