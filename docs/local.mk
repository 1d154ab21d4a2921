# docs/local.mk - README.md and the documents it points to, installed
# under $(docdir).  Included by the top Makefile.am.
dist_doc_DATA = README.md \
	docs/architecture.md \
	docs/PERFORMANCE.md \
	docs/RELIABILITY.md \
	docs/SECURITY.md \
	docs/systemd.md \
	docs/packaging.md \
	docs/bridge.md
