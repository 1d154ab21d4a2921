# systemd/local.mk - eshmd's units and its sysusers.d and tmpfiles.d
# entries.  Included by the top Makefile.am.
#
# They are filled with the configured paths at make time, so
# "make sbindir=..." and distcheck stay consistent.
systemd_generated = \
	systemd/eshmd.service \
	systemd/eshmd.socket \
	systemd/sysusers.d/eshm.conf \
	systemd/tmpfiles.d/eshm.conf
systemd_edit = $(MKDIR_P) $(@D) && rundir=`dirname '$(ESHMD_SOCKET)'` && $(SED) \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@ESHMD_SOCKET[@]|$(ESHMD_SOCKET)|g' \
	-e "s|@ESHMD_RUNDIR[@]|$$rundir|g" \
	$(srcdir)/$@.in > $@.tmp && mv $@.tmp $@
systemd/eshmd.service: $(srcdir)/systemd/eshmd.service.in Makefile
	$(AM_V_GEN)$(systemd_edit)
systemd/eshmd.socket: $(srcdir)/systemd/eshmd.socket.in Makefile
	$(AM_V_GEN)$(systemd_edit)
systemd/sysusers.d/eshm.conf: $(srcdir)/systemd/sysusers.d/eshm.conf.in Makefile
	$(AM_V_GEN)$(systemd_edit)
systemd/tmpfiles.d/eshm.conf: $(srcdir)/systemd/tmpfiles.d/eshm.conf.in Makefile
	$(AM_V_GEN)$(systemd_edit)
EXTRA_DIST += $(systemd_generated:=.in)
CLEANFILES += $(systemd_generated)
systemdsystemunit_DATA = systemd/eshmd.service systemd/eshmd.socket
sysusers_DATA = systemd/sysusers.d/eshm.conf
tmpfiles_DATA = systemd/tmpfiles.d/eshm.conf
# eshmd's MESSAGE_IDs for journalctl --catalog (journalctl --update-catalog
# reads them; Debian's systemd does so by a trigger on the directory).
dist_catalog_DATA = systemd/eshmd.catalog

# distcheck installs as an ordinary user: keep the system directories inside
# its prefix.
DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${prefix}/lib/systemd/system' \
	--with-sysusersdir='$${prefix}/lib/sysusers.d' \
	--with-tmpfilesdir='$${prefix}/lib/tmpfiles.d' \
	--with-catalogdir='$${prefix}/lib/systemd/catalog'

# eshm-bridge@.service, only where the bridge is built; distributed always.
EXTRA_DIST += systemd/eshm-bridge@.service.in
if ESHM_BRIDGE
systemd/eshm-bridge@.service: $(srcdir)/systemd/eshm-bridge@.service.in Makefile
	$(AM_V_GEN)$(systemd_edit)
CLEANFILES += systemd/eshm-bridge@.service
systemdsystemunit_DATA += systemd/eshm-bridge@.service
endif
