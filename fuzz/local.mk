# fuzz/local.mk - the libFuzzer targets on the parsers of untrusted input
# and their seed corpus.  ci/fuzz.sh builds them with clang and runs them;
# the build here only ships them.  Included by the top Makefile.am.
EXTRA_DIST += fuzz/fuzz_proto_parse.c fuzz/fuzz_seg_validate.c fuzz/fuzz_settings.c fuzz/fuzz_records.c \
	fuzz/seedgen.c fuzz/corpus
