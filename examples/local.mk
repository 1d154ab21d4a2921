# examples/local.mk - the demo README.md runs: examples/demo.sh starts a
# private eshmd, and eshm-demo as a master and a slave.  Included by the
# top Makefile.am.
noinst_PROGRAMS += examples/eshm-demo
examples_eshm_demo_SOURCES = examples/eshm-demo.c
examples_eshm_demo_LDADD = libclient/libeshm-client.la
dist_noinst_SCRIPTS += examples/demo.sh
