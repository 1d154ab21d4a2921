# brg_pki.sh - what DDS Security needs for two bridges, made with the
# openssl command line as an operator would (docs/SECURITY.md, "Network"),
# for test_bridge_security.sh.  Sourced; every function returns non-zero on
# failure, openssl's complaints on stderr.
#
#   pki_plugins               the folder of Cyclone's security plugins
#   pki_identity DIR NAME SUBJ [CA]   DIR/NAME.pem and DIR/NAME_key.pem: a
#                             P-256 key and its certificate, signed by CA
#                             (DIR/CA.pem, DIR/CA_key.pem), else self-signed
#                             as a CA
#   pki_governance OUT DOMAIN the governance document (unsigned)
#   pki_permissions OUT DOMAIN CERT[=TOPIC]...   the permissions document:
#                             a grant per certificate's subject, to publish
#                             and subscribe TOPIC (default eshm/*) (unsigned)
#   pki_sign CA IN OUT        IN signed S/MIME by CA (CA.pem, CA_key.pem)
#   pki_xml OUT IDCA CERT KEY PERMCA GOV PERMS [PLUGINS]   Cyclone's XML
#                             with <Security>; the plugins by their default
#                             names, or by their paths in PLUGINS

# The plugins as Debian's libddsc0debian ships them, else where the dynamic
# loader finds them.
pki_plugins()
{
	for pp_dir in /usr/lib/*/libddsc0debian \
		$(ldconfig -p 2>/dev/null | sed -n 's|.*libdds_security_auth\.so => \(.*\)/[^/]*$|\1|p'); do
		if [ -f "$pp_dir/libdds_security_auth.so" ] && [ -f "$pp_dir/libdds_security_ac.so" ] &&
			[ -f "$pp_dir/libdds_security_crypto.so" ]; then
			echo "$pp_dir"
			return 0
		fi
	done
	return 1
}

pki_identity()
{
	pi_out=$1/$2
	if [ $# -lt 4 ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "${pi_out}_key.pem" -out "$pi_out.pem" -days 2 -subj "$3" 2>"$pi_out.err" ||
			{ cat "$pi_out.err" >&2; return 1; }
		return 0
	fi
	# An identity, not a CA: DDS Security signs and agrees keys with it.
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyAgreement" > "$pi_out.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "${pi_out}_key.pem" -out "$pi_out.csr" -subj "$3" 2>"$pi_out.err" &&
		openssl x509 -req -in "$pi_out.csr" -CA "$1/$4.pem" -CAkey "$1/${4}_key.pem" \
			-set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$pi_out.ext" \
			-out "$pi_out.pem" 2>>"$pi_out.err" ||
		{ cat "$pi_out.err" >&2; return 1; }
}

# Every RTPS message encrypted whole (rtps_protection_kind), and discovery,
# liveliness and the topics eshm/* with keys of their own as well, so that
# the topics stay protected where the whole-message protection is turned
# off; only authenticated participants with permissions join the domain.
pki_governance()
{
	cat > "$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:noNamespaceSchemaLocation="http://www.omg.org/spec/DDS-SECURITY/20170901/omg_shared_ca_governance.xsd">
  <domain_access_rules>
    <domain_rule>
      <domains><id>$2</id></domains>
      <allow_unauthenticated_participants>false</allow_unauthenticated_participants>
      <enable_join_access_control>true</enable_join_access_control>
      <discovery_protection_kind>ENCRYPT</discovery_protection_kind>
      <liveliness_protection_kind>ENCRYPT</liveliness_protection_kind>
      <rtps_protection_kind>ENCRYPT</rtps_protection_kind>
      <topic_access_rules>
        <topic_rule>
          <topic_expression>eshm/*</topic_expression>
          <enable_discovery_protection>true</enable_discovery_protection>
          <enable_liveliness_protection>true</enable_liveliness_protection>
          <enable_read_access_control>true</enable_read_access_control>
          <enable_write_access_control>true</enable_write_access_control>
          <metadata_protection_kind>ENCRYPT</metadata_protection_kind>
          <data_protection_kind>ENCRYPT</data_protection_kind>
        </topic_rule>
      </topic_access_rules>
    </domain_rule>
  </domain_access_rules>
</dds>
EOF
}

pki_permissions()
{
	pm_out=$1
	pm_domain=$2
	shift 2
	# Valid from yesterday: a clock a little behind must not refuse it.
	pm_from=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%S) || return 1
	pm_to=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%S) || return 1
	{
		cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<dds xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:noNamespaceSchemaLocation="http://www.omg.org/spec/DDS-SECURITY/20170901/omg_shared_ca_permissions.xsd">
  <permissions>
EOF
		for pm_arg in "$@"; do
			pm_cert=${pm_arg%%=*}
			pm_topic='eshm/*'
			[ "$pm_cert" = "$pm_arg" ] || pm_topic=${pm_arg#*=}
			pm_subject=$(openssl x509 -noout -subject -nameopt RFC2253 -in "$pm_cert") ||
				return 1
			cat <<EOF
    <grant name="$(basename "$pm_cert" .pem)">
      <subject_name>${pm_subject#subject=}</subject_name>
      <validity><not_before>$pm_from</not_before><not_after>$pm_to</not_after></validity>
      <allow_rule>
        <domains><id>$pm_domain</id></domains>
        <publish><topics><topic>$pm_topic</topic></topics></publish>
        <subscribe><topics><topic>$pm_topic</topic></topics></subscribe>
      </allow_rule>
      <default>DENY</default>
    </grant>
EOF
		done
		echo "  </permissions>"
		echo "</dds>"
	} > "$pm_out"
}

pki_sign()
{
	openssl smime -sign -text -in "$2" -out "$3" -signer "$1.pem" -inkey "${1}_key.pem"
}

pki_xml()
{
	px_auth="" px_ac="" px_crypto=""
	if [ -n "${8:-}" ]; then
		px_auth="<Library path=\"$8/libdds_security_auth.so\"/>"
		px_ac="<Library path=\"$8/libdds_security_ac.so\"/>"
		px_crypto="<Library path=\"$8/libdds_security_crypto.so\"/>"
	fi
	cat > "$1" <<EOF
<CycloneDDS><Domain Id="any"><Security>
  <Authentication>$px_auth
    <IdentityCA>file:$2</IdentityCA>
    <IdentityCertificate>file:$3</IdentityCertificate>
    <PrivateKey>file:$4</PrivateKey>
  </Authentication>
  <AccessControl>$px_ac
    <PermissionsCA>file:$5</PermissionsCA>
    <Governance>file:$6</Governance>
    <Permissions>file:$7</Permissions>
  </AccessControl>
  <Cryptographic>$px_crypto</Cryptographic>
</Security></Domain></CycloneDDS>
EOF
}
