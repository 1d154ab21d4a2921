# common/local.mk - libeshm-common, the internal library eshmd,
# libeshm-client and eshmctl link: the segment layout, the channel seqlock,
# the control protocol.  Included by the top Makefile.am; paths
# are relative to the top folder.
noinst_LTLIBRARIES += common/libeshm-common.la
common_libeshm_common_la_SOURCES = \
	common/layout.h common/layout.c \
	common/channel.h common/channel.c \
	common/proto.h common/proto.c common/proto_io.c common/names.c \
	common/errors.c common/export.h \
	common/liveness.h common/liveness.c \
	common/clock.h
common_libeshm_common_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
