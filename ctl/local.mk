# ctl/local.mk - eshmctl, the operator's command: talks to eshmd over
# common/proto.h, and reads a channel (peek) through libeshm-client as an
# observer.  Included by the top Makefile.am.
bin_PROGRAMS += ctl/eshmctl
ctl_eshmctl_SOURCES = \
	ctl/ctl_main.c \
	ctl/ctl_cli.h ctl/ctl_cli.c \
	ctl/ctl_conn.h ctl/ctl_conn.c \
	ctl/ctl_fmt.h ctl/ctl_fmt.c \
	ctl/ctl_table.h ctl/ctl_table.c \
	ctl/ctl_segtable.h ctl/ctl_segtable.c \
	ctl/ctl_observers.h ctl/ctl_observers.c \
	ctl/ctl_json.h ctl/ctl_json.c \
	ctl/ctl_dump.h ctl/ctl_dump.c \
	ctl/ctl_term.h ctl/ctl_term.c \
	ctl/ctl_stop.h ctl/ctl_stop.c \
	ctl/ctl_commands.h \
	ctl/ctl_cmd_status.c \
	ctl/ctl_cmd_list.c \
	ctl/ctl_cmd_show.c \
	ctl/ctl_cmd_watch.c \
	ctl/ctl_cmd_create.c \
	ctl/ctl_cmd_remove.c \
	ctl/ctl_cmd_peek.c \
	ctl/ctl_cmd_metrics.c \
	ctl/ctl_cmd_events.c
ctl_eshmctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
# The client library's code linked in: eshmctl stays one program of its
# own, run from the build tree as any user, and always speaks its own
# eshmd's protocol.
ctl_eshmctl_LDADD = libclient/libeshm-client-core.la common/libeshm-common.la $(JSONC_LIBS) \
	$(PTHREAD_LIBS) -lm
