#!/bin/sh
# test_bridge_security.sh - eshm-bridge with DDS Security switched on by
# Cyclone's own XML in $CYCLONEDDS_URI (docs/SECURITY.md, "Network"),
# between two hosts made of network namespaces joined by a veth pair
# (brg_lib.sh), all traffic on that pair:
#
#   the credentials, made here with openssl (brg_pki.sh): one CA for
#   identities and permissions, an identity per bridge and a third one, a
#   governance document (every RTPS message, discovery, liveliness and the
#   topics eshm/* encrypted; join access control) and a permissions
#   document (the bridges may publish and subscribe eshm/*, the third
#   identity eshm/other/* only), both signed S/MIME; the bridge in A finds
#   the plugins by their default names, the one in B by their paths;
#
#   1. both bridges secured: a master in A and a slave in B exchange
#      checksummed messages, each bridge declares the other's program
#      alive; meanwhile a plain DDS reader (brg-ddsspy, in A) matches no
#      writer and takes nothing, and no datagram on the link (brg_sniff.py,
#      in B) holds a topic name, a type name or the segment's name;
#   2. the bridge in B with an identity of another CA (same subject, the
#      genuine CA certificate, governance and permissions): for NEVER_MS
#      neither program sees its remote alive, no message arrives either
#      way, a bridge's log says why; the genuine bridge back: alive again;
#      the third identity in B: its bridge may not create the segment's
#      topics, and exits; so does one whose key is missing, saying why;
#   3. the bridge in B without security: the same as 2; and the reader and
#      the sniffer, run the same way, read this bridge in clear but still
#      nothing of the secured one: what they missed in 1 was theirs to see
#      but for security.
#
# Needs root (ip netns), openssl, python3 and Cyclone's security plugins;
# otherwise skipped.  The times measured are printed as comments.
set -u
builddir=${ESHM_TEST_BUILDDIR:?run by make check}
srcdir=${ESHM_TEST_SRCDIR:?run by make check}

. "$srcdir/tests/tap.sh"
. "$srcdir/bridge/tests/brg_lib.sh"
. "$srcdir/bridge/tests/brg_pki.sh"
brg_can_run
command -v openssl >/dev/null 2>&1 || brg_skip "no openssl command (apt-get install openssl)"
command -v python3 >/dev/null 2>&1 || brg_skip "no python3 for the sniffer"
plugins=$(pki_plugins) ||
	brg_skip "no DDS Security plugins of Cyclone (libdds_security_auth.so; Debian: libddsc0debian)"
# The operator's own Cyclone settings have no place here.
unset CYCLONEDDS_URI
tap_init brsec
trap brg_cleanup EXIT

peer=$builddir/bridge/tests/brg-peer
spy=$builddir/bridge/tests/brg-ddsspy
sniff=$srcdir/bridge/tests/brg_sniff.py
SEG=brs.sec
ROOT=eshm/brs_dsec
DOMAIN=7
# How long an intruder is given: secured bridges meet within a second
# (printed below).
NEVER_MS=${NEVER_MS:-8000}
# How long the plain reader listens at least: it finds an unsecured bridge
# within a second (printed below).
SPY_MS=3000
BOUND_BACK=15000
pki=$tmp/pki

# --- the credentials
make_pki()
{
	mkdir -p "$pki/rogue" &&
		pki_identity "$pki" ca "/O=eshm test/CN=eshm test CA" &&
		pki_identity "$pki" hostA "/O=eshm test/CN=eshm-bridge hostA" ca &&
		pki_identity "$pki" hostB "/O=eshm test/CN=eshm-bridge hostB" ca &&
		pki_identity "$pki" hostC "/O=eshm test/CN=eshm-bridge hostC" ca &&
		pki_identity "$pki/rogue" ca "/O=eshm test/CN=eshm test CA" &&
		pki_identity "$pki/rogue" hostB "/O=eshm test/CN=eshm-bridge hostB" ca &&
		pki_governance "$pki/governance.xml" "$DOMAIN" &&
		pki_permissions "$pki/permissions.xml" "$DOMAIN" "$pki/hostA.pem" "$pki/hostB.pem" \
			"$pki/hostC.pem=eshm/other/*" &&
		pki_sign "$pki/ca" "$pki/governance.xml" "$pki/governance.p7s" &&
		pki_sign "$pki/ca" "$pki/permissions.xml" "$pki/permissions.p7s" &&
		openssl smime -verify -text -in "$pki/governance.p7s" -CAfile "$pki/ca.pem" \
			-out /dev/null &&
		openssl smime -verify -text -in "$pki/permissions.p7s" -CAfile "$pki/ca.pem" \
			-out /dev/null &&
		openssl verify -CAfile "$pki/ca.pem" "$pki/hostA.pem" "$pki/hostB.pem" "$pki/hostC.pem" &&
		! openssl verify -CAfile "$pki/ca.pem" "$pki/rogue/hostB.pem"
}

# The intruder has all that is public: the CA's certificate, the
# governance, the permissions granted to B's subject.  Only its identity
# is its own.
make_xml()
{
	pki_xml "$tmp/A/security.xml" "$pki/ca.pem" "$pki/hostA.pem" "$pki/hostA_key.pem" \
		"$pki/ca.pem" "$pki/governance.p7s" "$pki/permissions.p7s" &&
		pki_xml "$tmp/B/security.xml" "$pki/ca.pem" "$pki/hostB.pem" "$pki/hostB_key.pem" \
			"$pki/ca.pem" "$pki/governance.p7s" "$pki/permissions.p7s" "$plugins" &&
		pki_xml "$tmp/B/rogue.xml" "$pki/rogue/ca.pem" "$pki/rogue/hostB.pem" \
			"$pki/rogue/hostB_key.pem" "$pki/ca.pem" "$pki/governance.p7s" \
			"$pki/permissions.p7s" "$plugins" &&
		pki_xml "$tmp/B/other.xml" "$pki/ca.pem" "$pki/hostC.pem" "$pki/hostC_key.pem" \
			"$pki/ca.pem" "$pki/governance.p7s" "$pki/permissions.p7s" "$plugins" &&
		pki_xml "$tmp/B/nokey.xml" "$pki/ca.pem" "$pki/hostB.pem" "$pki/nokey.pem" \
			"$pki/ca.pem" "$pki/governance.p7s" "$pki/permissions.p7s" "$plugins"
}

# sec_start SIDE N XML: the bridge of SIDE (start N) with XML as its
# $CYCLONEDDS_URI, or without where XML is empty.
sec_start()
{
	if [ -n "$3" ]; then
		CYCLONEDDS_URI=file://$3
		export CYCLONEDDS_URI
	fi
	brg_start "$1" sec "$2"
	unset CYCLONEDDS_URI
}

# sec_stop: the bridge in B stops; A has heard it leave.
sec_stop()
{
	ss_from=$(lines "$bridge_A_sec_log")
	kill -TERM "$bridge_B_sec" && brg_reap "$bridge_B_sec" "$BRG_STOP_MS" &&
		wait_for "$bridge_A_sec_log" "$ss_from" "remote slave on hostB .* is detached" 5000
}

# intruder_stops: the bridge in B ran until now, and received nothing.
intruder_stops()
{
	kill -TERM "$bridge_B_sec" && brg_reap "$bridge_B_sec" "$BRG_STOP_MS" &&
		grep "stopping: [0-9]* messages sent, 0 received, 0 written" "$bridge_B_sec_log"
}

# The sniffer in B and the plain reader in A, whose traffic with an
# unsecured bridge in B then crosses the link.  The sniffer starts before
# the bridges, to see their discovery; the reader after them, so that
# their first announcements find it, and it listens at least SPY_MS.
sniff_start()
{
	in_ns B "$tmp/sniff.$1" python3 "$sniff" "$vB" "$ROOT/" "eshm::bridge::" "$SEG"
	sniff_pid=$last
	wait_for "$tmp/sniff.$1" 0 "^ready" 10000 >/dev/null
}

spy_start()
{
	in_ns A "$tmp/spy.$1" "$spy" "$vA" "$DOMAIN" "$ROOT" "$addrB" "$addrA"
	spy_pid=$last
	spy_t0=$(now_ms)
	wait_for "$tmp/spy.$1" 0 "^ready" 10000 >/dev/null
}

watchers_stop()
{
	ws_left=$((spy_t0 + SPY_MS - $(now_ms)))
	[ "$ws_left" -le 0 ] || sleep "$((ws_left / 1000)).$((ws_left % 1000 / 100 + 1))"
	kill -TERM "$spy_pid" "$sniff_pid"
	wait "$spy_pid" "$sniff_pid"
	sed 's/^/# /' "$tmp/spy.$1" "$tmp/sniff.$1"
}

# sniffed_nothing PHASE SRC: datagrams from SRC, none with a marker in clear.
sniffed_nothing()
{
	grep -Eq "^$2 packets [1-9]" "$tmp/sniff.$1" &&
		! grep -E "^$2 marker " "$tmp/sniff.$1" | grep -v " 0\$"
}

# sniffed_all PHASE SRC: each of the three markers in clear from SRC.
sniffed_all()
{
	[ "$(grep -Ec "^$2 marker .* [1-9][0-9]*\$" "$tmp/sniff.$1")" -eq 3 ]
}

# cyclone_lines: how many lines of Cyclone's each bridge's log holds.
cyclone_lines()
{
	for side in A B; do
		eval "cl_log=\$bridge_${side}_sec_log"
		echo "# Cyclone DDS's lines in the log in $side: $(grep -c "Cyclone DDS:" "$cl_log")"
	done
}

# mark: remember where the logs are, so the next checks read only what follows.
mark()
{
	mark_A_log=$(lines "$bridge_A_sec_log")
	mark_A_watch=$(lines "$tmp/A/watch.out")
	mark_B_watch=$(lines "$tmp/B/watch.out")
}

# after FILE FROM: the lines of FILE after line FROM.
after()
{
	tail -n +"$(($2 + 1))" "$1"
}

# kept_out WHO: the intruder in B, given NEVER_MS, has been heard by
# neither side, nor heard anything.
kept_out()
{
	sleep "$((NEVER_MS / 1000)).$((NEVER_MS % 1000 / 100))"
	if ko_seen=$(after "$bridge_A_sec_log" "$mark_A_log" | grep "remote .* is alive"); then
		fail "$1: the bridge in A never declares the remote alive" "$ko_seen"
	else
		ok "$1: the bridge in A never declares the remote alive in $NEVER_MS ms"
	fi
	if ko_seen=$(grep "remote .* is alive" "$bridge_B_sec_log"); then
		fail "$1: the bridge in B never declares the remote alive" "$ko_seen"
	else
		ok "$1: the bridge in B never declares the remote alive in $NEVER_MS ms"
	fi
	if ko_seen=$(after "$tmp/A/watch.out" "$mark_A_watch" | grep -E " (alive|got|foreign) "); then
		fail "$1: the master in A sees its slave neither alive nor write" "$ko_seen"
	else
		ok "$1: the master in A sees its slave neither alive nor write in $NEVER_MS ms, though it writes every 100 ms"
	fi
	# The bridge attaches as a stand-in: its role shows stale from the
	# attach on, never eshmd's verdict on the bridge's own process.
	after "$tmp/B/watch.out" "$mark_B_watch" > "$tmp/B/watch.kept"
	if grep -Eq " (got|foreign|alive) " "$tmp/B/watch.kept"; then
		fail "$1: the slave in B sees its master neither alive nor write" \
			"$(cat "$tmp/B/watch.kept")"
	elif ! grep -q "^[0-9]* stale $bridge_B_sec\$" "$tmp/B/watch.kept"; then
		fail "$1: the slave in B sees the bridge standing in, stale" "$(cat "$tmp/B/watch.kept")"
	else
		ok "$1: the slave in B sees its master stale, never alive, no message in $NEVER_MS ms, though it writes every 100 ms"
	fi
	check "$1: the bridge in B ran all along, and received nothing" intruder_stops
	sed 's/^/# /' "$tmp/out"
}

# --- the credentials and the two hosts
t0=$(now_ms)
check "openssl: a CA, an identity per bridge and a third, another CA's identity with B's subject; governance and permissions signed S/MIME" \
	make_pki
echo "# the credentials took $(($(now_ms) - t0)) ms"
brg_hosts
check "two namespaces joined by a veth pair ($addrA - $addrB)" brg_link
check "a private eshmd in each namespace" brg_eshmds
check "Cyclone XML with <Security> per side: A names no plugin, B the plugins' paths in $plugins" \
	make_xml
brg_conf A "$SEG" latest sec
brg_conf B "$SEG" latest sec

# --- 1. both secured
check "a sniffer on the link, in B" sniff_start 1
t0=$(now_ms)
sec_start A 1 "$tmp/A/security.xml"
sec_start B 1 "$tmp/B/security.xml"
check "a plain DDS reader of the segment's topics, in A" spy_start 1
brg_pingpong "$SEG" 1000
check "secured: 1,000 checksummed round trips between the master in A and the slave in B" \
	brg_finished "$ping_A" "$ping_B"
echo "# the bridges started and the round trips ended in $(($(now_ms) - t0)) ms"
sed 's/^/# /' "$tmp/A/pingpong.out" "$tmp/B/pingpong.out"

in_ns A "$tmp/A/watch.out" "$peer" watch master "$SEG"
watch_A=$last
in_ns B "$tmp/B/watch.out" "$peer" watch slave "$SEG"
watch_B=$last
t0=$(now_ms)
both_alive()
{
	wait_for "$bridge_A_sec_log" 0 "remote slave on hostB \\(pid $watch_B\\) is alive" 10000 &&
		wait_for "$bridge_B_sec_log" 0 "remote master on hostA \\(pid $watch_A\\) is alive" \
			10000
}
check "secured: each bridge declares the other host's program alive, with its pid" both_alive
echo "# both declared within $(($(now_ms) - t0)) ms of the programs' start"
# The first message each reads may be the last of the round trips
# ("foreign"); the watch's own come after it.
both_see()
{
	for side in A B; do
		wait_for "$tmp/$side/watch.out" 0 "^[0-9]+ alive " 10000 >/dev/null &&
			wait_for "$tmp/$side/watch.out" 0 "^[0-9]+ got " 10000 >/dev/null ||
			{ cat "$tmp/$side/watch.out"; return 1; }
	done
}
check "secured: each program sees its remote alive and gets its checksummed messages" both_see
watchers_stop 1
check "secured: the plain DDS reader matched no writer and took no sample of m2s, s2m or state" \
	test "$(grep -Ec "^(m2s|s2m|state): 0 writers matched, 0 samples," "$tmp/spy.1")" -eq 3
check "secured: the link from A: datagrams, none with the topics', type's or segment's name in clear" \
	sniffed_nothing 1 "$addrA"
check "secured: the link from B: datagrams, none with the topics', type's or segment's name in clear" \
	sniffed_nothing 1 "$addrB"

# --- 2. an identity of another CA in B
check "the secured bridge in B stops" sec_stop
mark
sec_start B 2 "$tmp/B/rogue.xml"
check "B's identity of another CA: the bridge in B stands in" \
	wait_for "$bridge_B_sec_log" 0 "standing in for the master" 10000
kept_out "B's identity of another CA"
# The side that gets the other's certificate refuses it and says so; the
# other one waits for a reply and says nothing.  Which one begins the
# handshake is Cyclone's choice.
said_why()
{
	for side in A B; do
		eval "sw_log=\$bridge_${side}_sec_log"
		grep "Cyclone DDS:.*Certificate not valid" "$sw_log" | head -n 1 | sed "s/^/in $side: /"
	done | grep .
}
check "B's identity of another CA: a bridge's log says the certificate is not valid" said_why
sed 's/^/# /' "$tmp/out"
cyclone_lines

mark
t0=$(now_ms)
sec_start B 3 "$tmp/B/security.xml"
back()
{
	t=$(wait_for "$bridge_A_sec_log" "$mark_A_log" \
		"remote slave on hostB \\(pid $watch_B\\) is alive" "$BOUND_BACK") &&
		echo "the bridge in A declares the slave alive $((t - t0)) ms after the restart" &&
		wait_for "$tmp/A/watch.out" "$mark_A_watch" "^[0-9]+ got " "$BOUND_BACK" >/dev/null &&
		wait_for "$tmp/B/watch.out" "$mark_B_watch" "^[0-9]+ got " "$BOUND_BACK" >/dev/null
}
check "the genuine bridge in B back: the remote alive, messages both ways again" back
sed 's/^/# /' "$tmp/out"

# --- a genuine identity granted other topics only: Cyclone refuses the
# segment's topics to its bridge, which stops
check "the secured bridge in B stops again" sec_stop
sec_start B 4 "$tmp/B/other.xml"
# refused WHAT: the bridge in B logs Cyclone's refusal WHAT and exits 1.
refused()
{
	wait_for "$bridge_B_sec_log" 0 "$1" 10000 && { wait "$bridge_B_sec"; [ $? -eq 1 ]; }
}
check "an identity granted only eshm/other/*: the bridge in B may not create the segment's topics, and exits 1" \
	refused "cannot create the DDS topic .*: Not Allowed By Security"
sed 's/^/# /' "$bridge_B_sec_log"
sec_start B 5 "$tmp/B/nokey.xml"
check "a private key that is not there: Cyclone refuses the participant, the bridge says why and exits 1" \
	refused "Cyclone DDS: .*File could not be found.*nokey.pem"
sed 's/^/# /' "$bridge_B_sec_log"

# --- 3. no security in B
check "a sniffer on the link, in B, again" sniff_start 3
mark
sec_start B 6 ""
check "B without security: the bridge in B stands in" \
	wait_for "$bridge_B_sec_log" 0 "standing in for the master" 10000
check "a plain DDS reader of the segment's topics, in A, again" spy_start 3
kept_out "B without security"
cyclone_lines
watchers_stop 3
plain_seen()
{
	grep -Eq "^s2m: [1-9][0-9]* writers matched, [1-9][0-9]* samples, the first after [0-9]+ ms" \
		"$tmp/spy.3" &&
		grep -Eq "^state from hostB: [1-9]" "$tmp/spy.3" &&
		first=$(sed -n 's/^s2m: .* the first after \([0-9]*\) ms$/\1/p' "$tmp/spy.3") &&
		[ "$first" -le "$SPY_MS" ]
}
check "B without security: the plain DDS reader reads its messages and reports within $SPY_MS ms" \
	plain_seen
secured_unseen()
{
	grep -Eq "^m2s: 0 writers matched, 0 samples," "$tmp/spy.3" &&
		! grep "^state from hostA" "$tmp/spy.3"
}
check "... and still nothing of the secured bridge in A: no m2s writer, no report" secured_unseen
# From A only the reader's own discovery would be in clear now.
check "B without security: the link from B holds the topics', type's and segment's names in clear" \
	sniffed_all 3 "$addrB"

# --- teardown: nothing left
brg_teardown
check "nothing left: namespaces, veth and processes gone" brg_nothing_left
echo "1..$tap_n"
