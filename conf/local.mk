# conf/local.mk - eshmd's example configuration.  Included by the top
# Makefile.am.
#
# It becomes $(sysconfdir)/eshm/eshmd.conf only where none exists, and
# uninstall removes it only while it is unchanged: an administrator's edits
# are never overwritten or deleted.
eshmconfdir = $(sysconfdir)/eshm
EXTRA_DIST += conf/eshmd.conf
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(eshmconfdir)'
	test -e '$(DESTDIR)$(eshmconfdir)/eshmd.conf' || \
		$(INSTALL_DATA) $(srcdir)/conf/eshmd.conf '$(DESTDIR)$(eshmconfdir)/eshmd.conf'
uninstall-local:
	if cmp -s $(srcdir)/conf/eshmd.conf '$(DESTDIR)$(eshmconfdir)/eshmd.conf'; then \
		rm -f '$(DESTDIR)$(eshmconfdir)/eshmd.conf'; fi
	-rmdir '$(DESTDIR)$(eshmconfdir)' 2>/dev/null
