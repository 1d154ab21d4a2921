#!/bin/sh
# Every man page passes "mandoc -Tlint" without warnings, every ".so" page
# points at a page that exists, and every public function of eshm.h has a
# page of its name.
srcdir=${ESHM_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
man="$srcdir/man"

if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc is not installed (apt-get install mandoc)"
	exit 0
fi

pages=$(ls "$man"/*.[1-8] 2>/dev/null)
funcs=$(sed -n 's/^[A-Za-z].*[ *]\(eshm_[a-z_]*\)(.*/\1/p' "$srcdir/include/eshm.h" | sort -u)
n=0
for p in $pages; do n=$((n + 1)); done
for f in $funcs; do n=$((n + 1)); done
if [ "$n" -lt 10 ]; then
	echo "Bail out! found only $n pages and functions under $srcdir"
	exit 1
fi
echo "1..$n"

i=0
for p in $pages; do
	i=$((i + 1))
	name=$(basename "$p")
	target=$(sed -n '1s/^\.so  *man[1-8]\/\(.*\)$/\1/p' "$p")
	if [ -n "$target" ]; then
		if [ -f "$man/$target" ] && [ "$(wc -l < "$p")" -eq 1 ]; then
			echo "ok $i - $name links to $target"
		else
			echo "not ok $i - $name links to $target, which is missing"
		fi
		continue
	fi
	if out=$(mandoc -Tlint -W warning "$p" 2>&1); then
		echo "ok $i - $name is lint-clean"
	else
		echo "not ok $i - $name is lint-clean"
		echo "$out" | sed 's/^/# /'
	fi
done
for f in $funcs; do
	i=$((i + 1))
	if [ -f "$man/$f.3" ] &&
	    grep -q "^\.Nm $f\( ,\)\{0,1\}$" "$man/$(sed -n '1s/^\.so  *man3\///p' "$man/$f.3" | grep . || echo "$f.3")"; then
		echo "ok $i - $f has a page naming it"
	else
		echo "not ok $i - $f has a page naming it (man/$f.3)"
	fi
done
