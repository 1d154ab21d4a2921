#!/bin/sh
# The journal catalog systemd/eshmd.catalog documents exactly the
# MESSAGE_IDs eshmd logs (daemon/history.c), each entry with a subject
# and a man page that exists, and journalctl compiles it.
set -u
. "${ESHM_TEST_SRCDIR:?run by make check}/tests/tap.sh"
srcdir=$ESHM_TEST_SRCDIR
catalog=$srcdir/systemd/eshmd.catalog
tap_init catalog
echo "1..4"

sed -n 's/.*"\([0-9a-f]\{32\}\)".*/\1/p' "$srcdir/daemon/history.c" | sort >"$tmp/logged"
sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$catalog" | sort >"$tmp/documented"
if [ "$(wc -l <"$tmp/logged")" -ge 15 ] && diff "$tmp/logged" "$tmp/documented" >"$tmp/out"; then
	ok "the catalog documents every MESSAGE_ID eshmd logs, and no other"
else
	fail "the catalog documents every MESSAGE_ID eshmd logs, and no other"
fi

# Each entry: the id line, then Subject:, Defined-By:, Documentation:.
awk '/^-- [0-9a-f]{32}$/ { id = $2; n = 0; next }
     id != "" { n++; if (n == 1 && $0 !~ /^Subject: ./) print id " has no Subject";
                     if (n == 2 && $0 !~ /^Defined-By: eshm$/) print id " has no Defined-By";
                     if (n == 3 && $0 !~ /^Documentation: man:/) print id " has no Documentation";
                     if (n == 3) id = "" }' "$catalog" >"$tmp/out"
if [ ! -s "$tmp/out" ]; then ok "every entry has a subject, eshm's name and a man page"; else
	fail "every entry has a subject, eshm's name and a man page"; fi

missing=
for page in $(sed -n 's/^Documentation: man:\([a-z_.]*\)(\([0-9]\))$/\1.\2/p' "$catalog" | sort -u); do
	[ -f "$srcdir/man/$page" ] || missing="$missing $page"
done
if [ -z "$missing" ]; then ok "the man pages named exist"; else
	fail "the man pages named exist" "missing:$missing"; fi

if ! command -v journalctl >/dev/null 2>&1; then
	skip "journalctl is not installed (apt-get install systemd)"
	exit 0
fi
mkdir -p "$tmp/root/usr/lib/systemd/catalog" "$tmp/root/var/lib/systemd/catalog"
cp "$catalog" "$tmp/root/usr/lib/systemd/catalog/"
if journalctl --root="$tmp/root" --update-catalog >"$tmp/out" 2>&1 &&
   journalctl --root="$tmp/root" --list-catalog >"$tmp/listed" 2>>"$tmp/out" &&
   [ "$(grep -c ' eshm: ' "$tmp/listed")" -eq "$(wc -l <"$tmp/documented")" ]; then
	ok "journalctl --update-catalog takes every entry"
else
	cat "$tmp/listed" >>"$tmp/out"
	fail "journalctl --update-catalog takes every entry"
fi
