#!/usr/bin/env bash
# netkit ipconv through the real binary: the recipe's two addresses, IPv6
# in RFC 5952 form, the way back from hex and int, the lax inet_aton
# forms, JSON checked with a real parser, every bad input and exit code.
. "$(dirname "$0")/lib.sh" "$@"

little=$(printf '\001\000' | od -An -tu2 | tr -d ' ')
[ "$little" = 1 ] && little=1 || little=0

# field KEY [N]: the value of KEY in record N (1-based) of $OUT.
field() {
    printf '%s\n' "$OUT" | awk -v RS= -v k="$1:" -v n="${2:-1}" \
        'NR == n { m = split($0, l, "\n"); for (i = 1; i <= m; i++) {
            split(l[i], f, ": "); if (f[1] ":" == k) { print substr(l[i], length(k) + 2); exit } } }'
}
jqr() { printf '%s' "$OUT" | jq -r "$1"; }

# The recipe's addresses: hexlify of the packed bytes.
run_nk ipconv 127.0.0.1 192.168.0.1
check_eq "recipe addresses exit 0" "$RC" 0
check_eq "127.0.0.1 packed" "$(field packed 1)" 7f000001
check_eq "192.168.0.1 packed" "$(field packed 2)" c0a80001
check_eq "127.0.0.1 family" "$(field family 1)" ipv4
check_eq "127.0.0.1 canonical" "$(field address 1)" 127.0.0.1
check_eq "127.0.0.1 as a number" "$(field int 1)" 2130706433
check_eq "192.168.0.1 as a number" "$(field int 2)" 3232235521
if [ $little = 1 ]; then
    check_eq "127.0.0.1 packed bytes read natively (LE)" "$(field int_network_order 1)" 16777343
else
    check_eq "127.0.0.1 packed bytes read natively (BE)" "$(field int_network_order 1)" 2130706433
fi
check_eq "v4 shown as v6-mapped" "$(field ipv6_mapped 2)" ::ffff:192.168.0.1
check_eq "nothing on stderr" "$ERR" ""

# IPv6: RFC 5952 section 4 examples.
v6() {
    run_nk ipconv "$1"
    check_eq "$1 exit 0" "$RC" 0
    check_eq "$1 -> $2" "$(field compressed)" "$2"
    check_eq "$1 canonical is compressed" "$(field address)" "$2"
}
v6 2001:db8::1 2001:db8::1
v6 2001:db8:0:0:1:0:0:1 2001:db8::1:0:0:1
v6 2001:db8:0:1:1:1:1:1 2001:db8:0:1:1:1:1:1
v6 2001:0db8::0001 2001:db8::1
v6 2001:DB8::ABCD:EF 2001:db8::abcd:ef
v6 2001:0:0:1:0:0:0:1 2001:0:0:1::1
v6 :: ::
v6 ::1 ::1
v6 ::ffff:192.0.2.1 ::ffff:192.0.2.1
v6 ::ffff:c000:201 ::ffff:192.0.2.1
v6 ::192.0.2.1 ::c000:201

run_nk ipconv 2001:db8::1
check_eq "expanded form" "$(field expanded)" 2001:0db8:0000:0000:0000:0000:0000:0001
check_eq "v6 packed" "$(field packed)" 20010db8000000000000000000000001
check_eq "v6 family" "$(field family)" ipv6
check_eq "no scope id" "$(field scope_id)" -
check_eq "not v4-mapped" "$(field ipv4_mapped)" -
run_nk ipconv ::ffff:192.0.2.1
check_eq "embedded IPv4 of a v4-mapped address" "$(field ipv4_mapped)" 192.0.2.1
check_eq "v4-mapped expanded" "$(field expanded)" 0000:0000:0000:0000:0000:ffff:c000:0201

# Scope ids are kept as text.
run_nk ipconv fe80::1%lo
check_eq "scoped exit 0" "$RC" 0
check_eq "scoped canonical" "$(field address)" "fe80::1%lo"
check_eq "scoped compressed has no zone" "$(field compressed)" fe80::1
check_eq "scope id" "$(field scope_id)" lo
check_eq "scoped packed (zone not in bytes)" "$(field packed)" fe800000000000000000000000000001
run_nk ipconv 'fe80::1%'
check_eq "empty scope id exits 65" "$RC" 65
check_contains "empty scope id named" "$ERR" "'fe80::1%' has a bad scope id"
run_nk ipconv '127.0.0.1%lo'
check_eq "scope id on IPv4 exits 65" "$RC" 65
check_contains "scope id on IPv4 explained" "$ERR" "is for IPv6 addresses only"

# JSON.
run_nk ipconv --json 127.0.0.1 ::ffff:192.0.2.1 bogus
check_eq "json with one bad of three exits 1" "$RC" 1
check_json "--json parses" "$OUT"
check_eq "json packed" "$(jqr '.addresses[0].packed')" 7f000001
check_eq "json int is a number" "$(jqr '.addresses[0].int | type')" number
check_eq "json int" "$(jqr '.addresses[0].int')" 2130706433
check_eq "json ipv4_mapped" "$(jqr '.addresses[1].ipv4_mapped')" 192.0.2.1
check_eq "json scope_id null" "$(jqr '.addresses[1].scope_id')" null
check_eq "json error record" "$(jqr '.addresses[2].error')" "'bogus' is not an IPv4 or IPv6 address"
check_eq "json error input" "$(jqr '.addresses[2].input')" bogus
run_nk --json ipconv ::1
check_json "global --json parses" "$OUT"
check_eq "global --json family" "$(jqr '.addresses[0].family')" ipv6

# The way back: --from-hex and --from-int, in command-line order.
run_nk ipconv --from-hex 7f000001 --from-int 3232235521 ::1 -x 0x20010DB8000000000000000000000001 -N 0x7f000001
check_eq "from-hex/int exit 0" "$RC" 0
check_eq "from-hex v4" "$(field address 1)" 127.0.0.1
check_eq "from-hex form" "$(field input_form 1)" hex
check_eq "from-int v4" "$(field address 2)" 192.168.0.1
check_eq "from-int form" "$(field input_form 2)" int
check_eq "order kept: the address third" "$(field address 3)" ::1
check_eq "from-hex v6 with 0x and capitals" "$(field address 4)" 2001:db8::1
check_eq "from-int in hex" "$(field address 5)" 127.0.0.1
run_nk ipconv --from-int 0 --from-int 4294967295
check_eq "from-int range ends" "$(field address 1) $(field address 2)" "0.0.0.0 255.255.255.255"
run_nk ipconv --from-int 4294967296
check_eq "from-int too large exits 65" "$RC" 65
check_contains "from-int too large named" "$ERR" "'4294967296' is not an IPv4 address as a number"
run_nk ipconv --from-int -1
check_eq "from-int negative exits 65" "$RC" 65
run_nk ipconv --from-hex 7f00001
check_eq "from-hex 7 digits exits 65" "$RC" 65
check_contains "from-hex length named" "$ERR" "'7f00001' has 7 hex digits, not 8 (IPv4) or 32 (IPv6)"
run_nk ipconv --from-hex 7f:00:00:01
check_eq "from-hex separators exit 65" "$RC" 65
check_contains "from-hex junk named" "$ERR" "'7f:00:00:01' is not packed address bytes in hex"
run_nk ipconv --from-hex
check_eq "from-hex without value exits 64" "$RC" 64
check_contains "missing value named" "$ERR" "option --from-hex needs a value"

# Round trip: what ipconv prints as packed/int comes back to the address.
for a in 10.1.2.3 2001:db8:85a3::8a2e:370:7334 ::ffff:10.0.0.1; do
    run_nk ipconv "$a"
    packed=$(field packed)
    run_nk ipconv --from-hex "$packed"
    check_eq "round trip via hex: $a" "$(field address)" "$a"
done
run_nk ipconv 10.1.2.3
n=$(field int)
run_nk ipconv --from-int "$n"
check_eq "round trip via int" "$(field address)" 10.1.2.3

# Strict by default; --lax reads the inet_aton forms and says what they mean.
run_nk ipconv 127.1
check_eq "127.1 refused by default (65)" "$RC" 65
check_contains "hint to --lax" "$ERR" "netkit ipconv: '127.1' is not an IPv4 or IPv6 address (try --lax)"
lax() {
    run_nk ipconv --lax "$1"
    check_eq "--lax $1 exit 0" "$RC" 0
    check_eq "--lax $1 = $2" "$(field address)" "$2"
    check_eq "--lax $1 form" "$(field input_form)" "$3"
}
lax 127.1 127.0.0.1 inet_aton
lax 0x7f.1 127.0.0.1 inet_aton
lax 017.0.0.1 15.0.0.1 inet_aton
lax 1 0.0.0.1 inet_aton
lax 4294967295 255.255.255.255 inet_aton
lax 127.0.0.1 127.0.0.1 text
lax ::1 ::1 text
run_nk ipconv --lax 017.0.0.1
check_eq "--lax explains octal" "$(field note)" "inet_aton form a.b.c.d: a=017 (octal 15), b=0, c=0, d=1"
run_nk ipconv -a 0x7f.1
check_eq "--lax explains hex" "$(field note)" "inet_aton form a.b: a=0x7f (hex 127), b=1 (the low 24 bits)"
run_nk ipconv --lax '1.2.3.4 junk'
check_eq "--lax refuses glibc's trailing junk" "$RC" 65
run_nk ipconv --lax 4294967296
check_eq "--lax refuses 33 bits" "$RC" 65
run_nk ipconv --lax 08.1.2.3
check_eq "--lax refuses 8 in octal" "$RC" 65
run_nk ipconv 300.1.2.3
check_eq "300.1.2.3 exits 65" "$RC" 65
check_eq "300.1.2.3 named, no lax hint" "$ERR" "netkit ipconv: '300.1.2.3' is not an IPv4 or IPv6 address"

# Every bad input is named; the good ones still convert.
run_nk ipconv 1.2.3.4 nope 5.6.7.8 '[::1]'
check_eq "two bad of four exits 1" "$RC" 1
check_eq "good ones printed" "$(printf '%s\n' "$OUT" | grep -c '^address: ')" 2
check_contains "first bad named" "$ERR" "'nope' is not an IPv4 or IPv6 address"
check_contains "brackets hinted" "$ERR" "'[::1]' is not an IPv4 or IPv6 address (drop the brackets)"
run_nk ipconv nope also-bad
check_eq "every item bad exits 65" "$RC" 65
check_eq "both named" "$(printf '%s\n' "$ERR" | grep -c 'is not an IPv4 or IPv6 address')" 2
run_nk ipconv ''
check_eq "empty string exits 65" "$RC" 65
check_contains "empty string named" "$ERR" "'' is not an IPv4 or IPv6 address"
run_nk ipconv $'1.2.3.4\nx'
check_contains "control bytes escaped in the message" "$ERR" "'1.2.3.4\\nx' is not"
run_nk ipconv -- -1
check_eq "operand after -- is an address" "$RC" 65
check_contains "operand after -- named" "$ERR" "'-1' is not an IPv4"

# Usage errors.
run_nk ipconv
check_eq "no address exits 64" "$RC" 64
run_nk ipconv --frob 1.2.3.4
check_eq "unknown option exits 64" "$RC" 64
run_nk ipconv --lesson --json
check_eq "lesson with json exits 64" "$RC" 64
run_nk ipconv --lesson --from-hex 7f000001
check_eq "lesson with from-hex exits 64" "$RC" 64

# The recipe's lines.
run_nk ipconv --lesson
check_eq "lesson exit 0" "$RC" 0
check_eq "lesson lines" "$OUT" "IP Address: 127.0.0.1 => Packed: 7f000001, Unpacked: 127.0.0.1
IP Address: 192.168.0.1 => Packed: c0a80001, Unpacked: 192.168.0.1"
run_nk ipconv --lesson --lax 127.1 300.1.2.3
check_eq "lesson with one bad exits 1" "$RC" 1
check_eq "lesson lax line" "$OUT" "IP Address: 127.1 => Packed: 7f000001, Unpacked: 127.0.0.1"
check_contains "lesson bad named" "$ERR" "'300.1.2.3' is not an IPv4 or IPv6 address"

# Help: an example, and every example in it runs.
run_nk ipconv --help
check_eq "--help exits 0" "$RC" 0
check_contains "--help has examples" "$OUT" "examples:"
help=$OUT
while IFS= read -r ex; do
    read -r -a words <<<"${ex#  netkit }"
    run_nk "${words[@]}"
    check_eq "example runs: ${ex#  }" "$RC" 0
done < <(printf '%s\n' "$help" | grep '^  netkit ipconv')

nk_done
