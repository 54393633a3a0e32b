#!/usr/bin/env bash
# netkit hostinfo through the real binary, offline: localhost, names and
# addresses that /etc/hosts answers, numeric addresses, and names under
# ".invalid" (answered locally as unknown). Every expectation that depends
# on this machine is read from /etc/hosts, ip(8) or uname, never assumed;
# a lookup that /etc/hosts could not answer (and would go to DNS) is
# skipped, not run.
#
# So that no check depends on what the machine's /etc/hosts happens to
# hold, the script runs itself again in a private mount namespace
# (unshare -m, root) with its own hosts file bind-mounted over /etc/hosts:
# localhost with an alias, ::1 with aliases, this machine's name with an
# FQDN. Without that (not root), the checks whose line is missing skip.
. "$(dirname "$0")/lib.sh" "$@"

if [ -z "${NK_HOSTINFO_NS:-}" ]; then
    me=$(uname -n)
    {
        echo "# netkit test_hostinfo.sh: private /etc/hosts"
        printf '127.0.0.1\tlocalhost lh-alias.test\n'
        printf '::1\tlocalhost ip6-localhost ip6-loopback\n'
        printf '127.0.1.1\t%s.nk-test.invalid %s\n' "$me" "$me"
        printf '192.0.2.10\tnk-one.test nk-one-alias.test\n'
    } >"$NK_TMP/hosts"
    if unshare -m true 2>/dev/null; then
        NK_HOSTINFO_NS=1 unshare -m bash -c \
            'mount --bind "$1" /etc/hosts || exit 1; shift; exec bash "$@"' \
            _ "$NK_TMP/hosts" "$0" "$@"
        exit # with the inner run's status
    fi
    nk_skip "own /etc/hosts in a mount namespace" \
        "unshare -m not permitted (not root?): the machine's /etc/hosts decides what runs"
else
    check_eq "own /etc/hosts in a mount namespace" "$(head -n 1 /etc/hosts)" \
        "# netkit test_hostinfo.sh: private /etc/hosts"
fi

# The records of text output, one per blank-line-separated paragraph.
record() { printf '%s\n' "$OUT" | awk -v RS= -v n="$1" 'NR == n'; }
field() { printf '%s\n' "$1" | awk -v k="$2:" '$1 == k {print $2}'; }

# Names /etc/hosts gives an address (IPv4 lines; IPv6 lines when $1 = 6).
hosts_names() {
    awk -v six="${1:-4}" '!/^[[:space:]]*#/ && NF >= 2 {
        v6 = index($1, ":") > 0
        if ((six == 6) != v6) next
        for (i = 2; i <= NF && $i !~ /^#/; i++) print $i
    }' /etc/hosts
}
in_hosts() { hosts_names "${2:-4}" | grep -qxF -- "$1"; }
# The first /etc/hosts name of an address: what a reverse lookup returns.
hosts_first_name() {
    awk -v a="$1" '!/^[[:space:]]*#/ && $1 == a && NF >= 2 {print $2; exit}' /etc/hosts
}

run_nk hostinfo --help
check_eq "--help exits 0" "$RC" 0
check_contains "--help has an example" "$OUT" "examples:
  netkit hostinfo"
run_nk help hostinfo
check_eq "help hostinfo exits 0" "$RC" 0

# --- one host ---------------------------------------------------------
run_nk hostinfo -4 localhost
check_eq "localhost exits 0" "$RC" 0
check_eq "host field" "$(field "$OUT" host)" localhost
check_eq "localhost is canonical" "$(field "$OUT" canonical)" localhost
check_contains "localhost -> 127.0.0.1" "$(field "$OUT" ipv4)" 127.0.0.1
check_eq "-4: no IPv6 line" "$(printf '%s\n' "$OUT" | grep -c '^ipv6:')" 0
check_eq "one record" "$(printf '%s\n' "$OUT" | grep -c '^host:')" 1
check_eq "no duplicate address" \
    "$(field "$OUT" ipv4 | sort | uniq -d)" ""

# Without a filter: both families as /etc/hosts lists them, IPv4 from
# the IPv4 lines, aliases only names that share a line with localhost.
run_nk hostinfo localhost
check_eq "localhost (both families) exits 0" "$RC" 0
check_contains "still 127.0.0.1" "$(field "$OUT" ipv4)" 127.0.0.1
if grep -Eq '^[[:space:]]*::1[[:space:]].*\blocalhost\b' /etc/hosts; then
    check_contains "::1 from /etc/hosts" "$(field "$OUT" ipv6)" "::1"
else
    nk_skip "::1 from /etc/hosts" "/etc/hosts has no '::1 localhost' line"
fi
if [ -n "${NK_HOSTINFO_NS:-}" ]; then
    check_eq "localhost's aliases: those of its lines" \
        "$(field "$OUT" aliases | sort | tr '\n' ' ')" "ip6-localhost ip6-loopback lh-alias.test "
fi
bad_alias=""
for a in $(field "$OUT" aliases); do
    grep -Eq "^[^#]*[[:space:]]localhost([[:space:]].*)?[[:space:]]$a([[:space:]]|\$)|^[^#]*[[:space:]]$a([[:space:]].*)?[[:space:]]localhost([[:space:]]|\$)" /etc/hosts ||
        bad_alias="$bad_alias $a"
done
check_eq "every alias shares an /etc/hosts line with localhost" "$bad_alias" ""
check_eq "canonical is not repeated as an alias" \
    "$(field "$OUT" aliases | grep -cxF localhost)" 0

# Every other IPv4 name /etc/hosts holds resolves to its line's address.
n_checked=0
for name in $(hosts_names 4 | sort -u | head -5); do
    addrs=$(awk -v n="$name" '!/^[[:space:]]*#/ && index($1, ":") == 0 {
        for (i = 2; i <= NF; i++) if ($i == n) print $1 }' /etc/hosts | sort -u)
    run_nk hostinfo -4 "$name"
    got=$(field "$OUT" ipv4 | sort -u)
    check_eq "/etc/hosts name $name exits 0" "$RC" 0
    check_eq "/etc/hosts name $name: addresses" "$got" "$addrs"
    n_checked=$((n_checked + 1))
done
if [ "$n_checked" -gt 0 ]; then nk_ok "checked $n_checked /etc/hosts names"
else nk_not_ok "no IPv4 name in /etc/hosts to check"; fi

# A name that is an alias on its /etc/hosts line: canonical is the
# line's first name, and the alias is listed (Debian's "127.0.1.1
# host.example host" or "::1 localhost ip6-localhost").
line=$(awk '!/^[[:space:]]*#/ && NF >= 3 && $3 !~ /^#/ && $2 != $3 {print; exit}' /etc/hosts)
if [ -n "$line" ]; then
    read -r l_addr l_first l_alias _ <<<"$line"
    # The family of that line only: the other family's query would find
    # nothing in /etc/hosts and go on to DNS.
    fam=-4
    case "$l_addr" in *:*) fam=-6 ;; esac
    run_nk hostinfo "$fam" "$l_alias"
    check_eq "alias $l_alias exits 0" "$RC" 0
    check_eq "alias $l_alias: canonical is $l_first" "$(field "$OUT" canonical)" "$l_first"
    check_contains "alias $l_alias listed" "$(field "$OUT" aliases)" "$l_alias"
else
    nk_skip "alias lookup" "/etc/hosts has no line with an alias"
fi

# --- numeric addresses and reverse lookups ----------------------------
run_nk hostinfo 127.0.0.1
check_eq "numeric exits 0" "$RC" 0
check_eq "numeric: canonical is the address" "$(field "$OUT" canonical)" 127.0.0.1
ptr=$(hosts_first_name 127.0.0.1)
if [ -n "$ptr" ]; then
    check_eq "numeric implies reverse" \
        "$(printf '%s\n' "$OUT" | awk '$1 == "ipv4:" {print $3}')" "$ptr"
    run_nk hostinfo -4 -r localhost
    check_eq "-r localhost" \
        "$(printf '%s\n' "$OUT" | awk '$1 == "ipv4:" && $2 == "127.0.0.1" {print $3}')" "$ptr"
    run_nk hostinfo --json -r -4 localhost
    check_json "-r --json parses" "$OUT"
    check_eq "json ptr" \
        "$(printf '%s' "$OUT" | jq -r '.hosts[0].addresses[] | select(.address == "127.0.0.1") | .ptr')" "$ptr"
else
    nk_skip "reverse lookup of 127.0.0.1" "no 127.0.0.1 line in /etc/hosts (would need DNS)"
fi
if [ -n "$(hosts_first_name ::1)" ]; then
    run_nk hostinfo ::1
    check_eq "::1 exits 0" "$RC" 0
    check_eq "::1 reverse from /etc/hosts" \
        "$(printf '%s\n' "$OUT" | awk '$1 == "ipv6:" {print $3}')" "$(hosts_first_name ::1)"
else
    nk_skip "reverse lookup of ::1" "no ::1 line in /etc/hosts (would need DNS)"
fi
run_nk hostinfo -6 0:0:0::1 --json
check_json "numeric IPv6 json" "$OUT"
check_eq "numeric IPv6 normalised" "$(printf '%s' "$OUT" | jq -r '.hosts[0].canonical')" "::1"
check_eq "family in json" "$(printf '%s' "$OUT" | jq -r '.hosts[0].addresses[0].family')" ipv6
run_nk hostinfo -4 ::1
check_eq "IPv6 literal with -4 exits 65" "$RC" 65
check_contains "and says why" "$ERR" "'::1' is an IPv6 address, but -4 asks for IPv4"
run_nk hostinfo -6 127.0.0.1
check_eq "IPv4 literal with -6 exits 65" "$RC" 65

# --- failures ----------------------------------------------------------
run_nk hostinfo nosuch.invalid
check_eq "unknown host exits 68" "$RC" 68
check_eq "one stderr line naming it" "$ERR" \
    "netkit hostinfo: resolve nosuch.invalid: name or service not known"
check_eq "error record" "$(printf '%s\n' "$OUT" | sed -n 's/^error: //p')" \
    "resolve nosuch.invalid: name or service not known"

run_nk hostinfo -4 localhost nosuch.invalid 127.0.0.1
check_eq "one of three fails: exit 1" "$RC" 1
check_eq "three records" "$(printf '%s\n' "$OUT" | grep -c '^host:')" 3
check_eq "the good ones still print" "$(field "$(record 3)" ipv4)" 127.0.0.1
check_eq "failed record in its place" "$(field "$(record 2)" host)" nosuch.invalid
check_eq "one stderr line" "$(printf '%s\n' "$ERR" | wc -l)" 1

run_nk hostinfo a.invalid b.invalid.
check_eq "all fail unknown: exit 68" "$RC" 68
run_nk hostinfo --json -4 localhost nosuch.invalid
check_json "mixed json parses" "$OUT"
check_eq "json error" "$(printf '%s' "$OUT" | jq -r '.hosts[1].error')" \
    "resolve nosuch.invalid: name or service not known"
check_eq "json good host" "$(printf '%s' "$OUT" | jq -r '.hosts[0].addresses[0].address')" 127.0.0.1
check_eq "json aliases is an array" "$(printf '%s' "$OUT" | jq -r '.hosts[0].aliases | type')" array
run_nk hostinfo ""
check_eq "empty name exits 65" "$RC" 65

run_nk hostinfo -4 -6 localhost
check_eq "-4 with -6 exits 64" "$RC" 64
check_contains "says why" "$ERR" "-4 and -6 exclude each other"
run_nk hostinfo --interfaces localhost
check_eq "--interfaces with HOST exits 64" "$RC" 64
run_nk hostinfo --frob
check_eq "unknown option exits 64" "$RC" 64
check_contains "unknown option named" "$ERR" "unknown option: --frob"
run_nk hostinfo --lesson --json
check_eq "--lesson with --json exits 64" "$RC" 64

# --- interfaces (no resolver involved) --------------------------------
run_nk hostinfo --interfaces
check_eq "--interfaces exits 0" "$RC" 0
check_eq "no hostname in --interfaces" "$(printf '%s\n' "$OUT" | grep -c '^hostname:')" 0
lo=$(printf '%s\n' "$OUT" | awk -v RS= '/(^|\n)loopback: yes(\n|$)/ {print; exit}')
check_contains "a loopback interface" "$lo" "flags: loopback"
check_contains "loopback is up" "$lo" "up: yes"
if nk_have "interfaces as ip(8) lists them" ip; then
    want=$(ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort)
    got=$(printf '%s\n' "$OUT" | awk '$1 == "name:" {print $2}' | sort)
    check_eq "same interfaces as ip link" "$got" "$want"
    want=$(ip -o -4 addr show | awk '{print $4}' | sort)
    got=$(printf '%s\n' "$OUT" | awk '$1 == "ipv4:" {print $2}' | sort)
    check_eq "same IPv4 addresses/prefixes as ip addr" "$got" "$want"
    want=$(ip -o -6 addr show | awk '{sub(/%.*/, "", $4); print $4}' | sort)
    got=$(printf '%s\n' "$OUT" | awk '$1 == "ipv6:" {sub(/%[^\/]*/, "", $2); print $2}' | sort)
    check_eq "same IPv6 addresses/prefixes as ip addr" "$got" "$want"
fi
if printf '%s\n' "$lo" | grep -q '^ipv4: 127\.0\.0\.1/'; then
    check_contains "127.0.0.1/8 and its netmask" "$lo" "ipv4: 127.0.0.1/8 255.0.0.0"
else
    nk_not_ok "the loopback interface has 127.0.0.1" "$lo"
fi
run_nk hostinfo -I -4 --json
check_json "--interfaces --json parses" "$OUT"
check_eq "-4 keeps IPv4 only" \
    "$(printf '%s' "$OUT" | jq -r '[.interfaces[].addresses[].family] | unique | join(",")')" ipv4
check_eq "every -4 interface keeps an address" \
    "$(printf '%s' "$OUT" | jq '[.interfaces[] | select(.addresses | length == 0)] | length')" 0
check_eq "prefix_len is a number" \
    "$(printf '%s' "$OUT" | jq -r '[.interfaces[].addresses[].prefix_len | type] | unique | join(",")')" number
check_eq "loopback flag matches flags array" \
    "$(printf '%s' "$OUT" | jq '[.interfaces[] | select(.loopback != (.flags | index("loopback") != null))] | length')" 0

# --- this machine: only where /etc/hosts answers its name --------------
me=$(uname -n)
if in_hosts "$me" 4; then
    run_nk hostinfo -4
    check_eq "local mode exits 0" "$RC" 0
    check_eq "hostname" "$(field "$(record 1)" hostname)" "$me"
    fqdn=$(awk -v n="$me" '!/^[[:space:]]*#/ && index($1, ":") == 0 {
        for (i = 2; i <= NF; i++) if ($i == n) {print $2; exit} }' /etc/hosts)
    check_eq "fqdn is the first name of its /etc/hosts line" "$(field "$(record 1)" fqdn)" "$fqdn"
    check_contains "interfaces follow" "$OUT" "loopback: yes"
    run_nk hostinfo -4 --json
    check_json "local json parses" "$OUT"
    check_eq "json hostname" "$(printf '%s' "$OUT" | jq -r .hostname)" "$me"
    check_eq "json interfaces array" "$(printf '%s' "$OUT" | jq -r '.interfaces | type')" array

    run_nk hostinfo --lesson localhost nosuch.invalid
    check_eq "lesson with a failing host exits 1" "$RC" 1
    check_eq "lesson: host name line" "$(printf '%s\n' "$OUT" | sed -n 1p)" "Host name: $me"
    check_contains "lesson: its IP" "$(printf '%s\n' "$OUT" | sed -n 2p)" "IP address: "
    check_contains "lesson: remote host" "$OUT" "Remote host: localhost
IP address: 127.0.0.1"
    check_contains "lesson: HOST: error" "$OUT" \
        "nosuch.invalid: name or service not known"
else
    nk_skip "this machine's name, and the lesson" "$me is not in /etc/hosts (its lookup would go to DNS)"
fi

nk_done
