#!/usr/bin/env bash
# netkit byteorder through the real binary: text facts, JSON checked with a
# real parser, exit codes, the recipe's lesson lines.
. "$(dirname "$0")/lib.sh" "$@"

little=$(printf '\001\000' | od -An -tu2 | tr -d ' ')
[ "$little" = 1 ] && little=1 || little=0

run_nk byteorder
check_eq "no value: exit 0" "$RC" 0
if [ $little = 1 ]; then want=little-endian; else want=big-endian; fi
check_eq "host order" "$OUT" "host_order: $want"

run_nk byteorder 1234
check_eq "1234 exit 0" "$RC" 0
field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {print $2; exit}'; }
if [ $little = 1 ]; then
    check_eq "recipe: htonl(1234)" "$(field htonl)" 3523477504
    check_eq "recipe: ntohl(1234)" "$(field ntohl)" 3523477504
    check_eq "recipe: htons(1234)" "$(field htons)" 53764
    check_eq "recipe: ntohs(1234)" "$(field ntohs)" 53764
    check_eq "memory layout 32" "$(printf '%s\n' "$OUT" | sed -n 's/^memory32: //p')" "d2 04 00 00"
fi
check_eq "network bytes are big-endian" "$(printf '%s\n' "$OUT" | sed -n 's/^network32: //p')" "00 00 04 d2"
check_eq "hex form" "$(field value_hex)" 0x000004d2

run_nk byteorder 0x4d2
check_eq "hex input" "$(field value)" 1234

run_nk byteorder 1234 --json
check_eq "--json exit 0" "$RC" 0
check_json "--json parses" "$OUT"
check_eq "json htonl" "$(printf '%s' "$OUT" | jq '.values[0].htonl')" \
    "$([ $little = 1 ] && echo 3523477504 || echo 1234)"
check_eq "json host order" "$(printf '%s' "$OUT" | jq -r .host_order)" "$want"
run_nk --json byteorder 1234
check_json "global --json parses" "$OUT"

run_nk byteorder 70000
check_eq "wide value exit 0" "$RC" 0
check_eq "wide value keeps 32-bit result" "$(field ntohl)" \
    "$([ $little = 1 ] && echo 1880162560 || echo 70000)"
check_eq "wide value: no 16-bit garbage" "$(field htons)" "-"
check_contains "wide value: a note" "$OUT" "note: 70000 does not fit in 16 bits"
run_nk byteorder 70000 --json
check_json "wide value json" "$OUT"
check_eq "wide value json htons null" "$(printf '%s' "$OUT" | jq '.values[0].htons')" null

run_nk byteorder abc
check_eq "non-number exits 65" "$RC" 65
check_contains "non-number named on stderr" "$ERR" "netkit byteorder: 'abc' is not a number"
run_nk byteorder 1 abc 2
check_eq "one bad of three exits 1" "$RC" 1
check_eq "the good ones still print" "$(printf '%s\n' "$OUT" | grep -c '^value: ')" 2
run_nk byteorder abc --json
check_json "error item still valid JSON" "$OUT"
check_eq "error item in JSON" "$(printf '%s' "$OUT" | jq -r '.values[0].error')" "'abc' is not a number"
run_nk byteorder -- -5
check_eq "negative is bad data" "$RC" 65
run_nk byteorder 4294967296
check_eq "wider than 32 bits exits 65" "$RC" 65
check_contains "hint for 64 bits" "$ERR" "try --bits 64"
run_nk byteorder --bits 64 0x0102030405060708
check_eq "64-bit exit 0" "$RC" 0
check_eq "64-bit network bytes" "$(printf '%s\n' "$OUT" | sed -n 's/^network64: //p')" "01 02 03 04 05 06 07 08"
run_nk byteorder --bits 16 65535
check_eq "--bits 16 max" "$RC" 0
run_nk byteorder -B 16 65536
check_eq "--bits 16 overflow exits 65" "$RC" 65
run_nk byteorder --bits 12 1
check_eq "bad --bits exits 64" "$RC" 64
run_nk byteorder --bits
check_eq "missing --bits value exits 64" "$RC" 64
check_contains "missing value named" "$ERR" "option --bits needs a value"

run_nk byteorder --lesson
check_eq "lesson exit 0" "$RC" 0
if [ $little = 1 ]; then
    check_eq "lesson lines" "$OUT" "Original: 1234 => Long host byte order: 3523477504, Network byte order: 3523477504
Original: 1234 => Short host byte order: 53764, Network byte order: 53764"
fi
run_nk byteorder --lesson --json
check_eq "lesson with json is a usage error" "$RC" 64

# Colour never reaches a pipe, and NO_COLOR wins even on a terminal.
run_nk byteorder 1
case "$OUT" in *$'\033'*) nk_not_ok "no colour in a pipe" ;; *) nk_ok "no colour in a pipe" ;; esac
if nk_have "colour on a terminal (script: a pseudo-tty)" script; then
    tty_out=$(script -qec "$NK byteorder 1" /dev/null)
    check_contains "colour on a terminal" "$tty_out" $'\033[1m'
    tty_out=$(NO_COLOR=1 script -qec "$NK byteorder 1" /dev/null)
    case "$tty_out" in *$'\033'*) nk_not_ok "NO_COLOR honoured" ;; *) nk_ok "NO_COLOR honoured" ;; esac
fi

nk_done
