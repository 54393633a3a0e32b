#!/usr/bin/env bash
# netkit service through the real binary: ports, names and URLs against a
# services file written here, a missing file (the built-in table), the
# real /etc/services when the machine has one; text read with awk, JSON
# with jq; the exit codes; the recipes' lesson lines; every doc example.
. "$(dirname "$0")/lib.sh" "$@"

field() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k {print $2; exit}'; }
# record N KEY: KEY's value in the Nth blank-line-separated record (the
# header is record 1, the first item record 2).
record() {
    printf '%s\n' "$OUT" | awk -v RS= -v n="$1" -v k="$2:" \
        'NR == n { for (i = 1; i <= NF; i++) if ($i == k) { print $(i+1); exit } }'
}
count() { printf '%s\n' "$OUT" | grep -c "^$1" ; }

# --- help -------------------------------------------------------------
run_nk service --help
check_eq "--help exit 0" "$RC" 0
check_contains "--help synopsis" "$OUT" "usage: netkit service"
check_contains "--help example" "$OUT" "examples:
  netkit service "
check_contains "--help documents the file option" "$OUT" "--services-file"
run_nk help service
check_eq "help service exit 0" "$RC" 0
check_contains "help service prints the usage" "$OUT" "usage: netkit service"

# --- a services file written by the test ------------------------------
SF=$NK_TMP/services
cat >"$SF" <<'EOF'
# test services file
http		80/tcp		www www-http	# web
alt		80/tcp				# a second name: never the answer
Gopher		70/tcp
domain		53/tcp
domain		53/udp
custom		4242/udp	mine
this line is broken
EOF

run_nk service -f "$SF" 80
check_eq "file: port 80 exit 0" "$RC" 0
check_eq "file: header names the file" "$(field services_file)" "$SF"
check_eq "file: status read" "$(field services_file_status)" read
check_eq "file: 80/tcp is http" "$(record 2 name)" http
check_eq "file: first entry wins" "$(count 'name: alt')" 0
check_eq "file: both aliases, one line each" "$(printf '%s\n' "$OUT" | grep '^aliases: ' | tr '\n' ' ')" "aliases: www aliases: www-http "
check_contains "file: source names it" "$OUT" "source: file $SF"
check_eq "file: no 80/udp in the file or the table" "$(count 'proto: udp')" 0
check_contains "file: malformed line reported" "$ERR" "$SF: skipped 1 malformed line (first: line 8: 'line' is not port/protocol)"

run_nk service -f "$SF" 53
check_eq "53: tcp and udp records" "$(count 'item: 53')" 2
check_eq "53: tcp first" "$(record 2 proto)" tcp
check_eq "53: then udp" "$(record 3 proto)" udp

run_nk service -f "$SF" --proto udp 53
check_eq "--proto udp narrows" "$(count 'item: 53')" 1
check_eq "--proto udp record" "$(record 2 proto)" udp

run_nk service -f "$SF" gopher MINE www-http
check_eq "names exit 0" "$RC" 0
check_eq "name case ignored, file spelling kept" "$(record 2 name)" Gopher
check_eq "alias lookup (any case) gives the port" "$(record 3 port)" 4242
check_eq "alias lookup proto" "$(record 3 proto)" udp
check_eq "second alias" "$(record 4 port)" 80

# the file lacks smtp: the built-in table answers and says so
run_nk service -f "$SF" 25 smtp
check_eq "fallback exit 0" "$RC" 0
check_eq "fallback port -> name" "$(record 2 name)" smtp
check_eq "fallback source" "$(printf '%s\n' "$OUT" | grep -c '^source: built-in$')" 2

# --- no file at all: the built-in table alone --------------------------
run_nk service -f "$NK_TMP/no-such-file" 80 25
check_eq "missing file exit 0" "$RC" 0
check_eq "missing file status" "$(field services_file_status)" missing
check_eq "missing file: 80 is http" "$(record 2 name)" http
check_eq "missing file: 25 is smtp" "$(record 3 name)" smtp
check_eq "missing file: source built-in" "$(record 2 source)" built-in
check_contains "missing explicit file noted" "$ERR" "no-such-file: no such file; using the built-in table"

run_nk service --services-file none 53
check_eq "none: exit 0" "$RC" 0
check_eq "none: services_file is -" "$(field services_file)" -
check_eq "none: status disabled" "$(field services_file_status)" disabled
check_eq "none: nothing on stderr" "$ERR" ""

run_nk service -f "$NK_TMP" 22
check_eq "directory as file: still answers" "$RC" 0
check_eq "directory: status unreadable" "$(field services_file_status)" unreadable
check_contains "directory: warned" "$ERR" "read $NK_TMP: is a directory; using the built-in table"
check_eq "directory: built-in answer" "$(record 2 name)" ssh

if [ "$(id -u)" != 0 ]; then
    cp "$SF" "$NK_TMP/locked" && chmod 000 "$NK_TMP/locked"
    run_nk service -f "$NK_TMP/locked" 80
    check_eq "unreadable file: exit 0" "$RC" 0
    check_contains "unreadable file: warned" "$ERR" "permission denied; using the built-in table"
fi

# --- URLs (the second recipe) -------------------------------------------
recipe_urls=(http://www.python.org https://www.python.org ftp://prep.ai.mit.edu
    gopher://gopher.micro.umn.edu smtp://mail.example.com
    imap://mail.example.com pop3://pop.example.com)
want_ports="80 443 21 70 25 143 110 "
for src in none "$NK_TMP/no-such-file" "$SF"; do
    run_nk service -f "$src" "${recipe_urls[@]}"
    check_eq "recipe URLs ($src) exit 0" "$RC" 0
    check_eq "recipe URL ports ($src)" "$(printf '%s\n' "$OUT" | awk '$1 == "port:" {printf "%s ", $2}')" "$want_ports"
done

run_nk service -f none http://h:8080/ tftp://h/boot wss://h/
check_eq "explicit port reported" "$(record 2 port)" 8080
check_eq "explicit port said" "$(record 2 explicit_port)" yes
check_eq "explicit port source" "$(record 2 source)" url
check_eq "udp-only scheme falls back to udp" "$(record 3 proto)" udp
check_eq "tftp port" "$(record 3 port)" 69
check_eq "wss means https" "$(record 4 port)" 443

run_nk service -f none gopher://h/ --json
check_json "url --json parses" "$OUT"
check_eq "url json port" "$(printf '%s' "$OUT" | jq '.items[0].port')" 70
check_eq "url json explicit_port" "$(printf '%s' "$OUT" | jq '.items[0].explicit_port')" false
check_eq "url json scheme" "$(printf '%s' "$OUT" | jq -r '.items[0].scheme')" gopher

# --- JSON ----------------------------------------------------------------
run_nk service -f "$SF" 80 nosuch --json
check_eq "json with one unknown exits 1" "$RC" 1
check_json "json parses" "$OUT"
check_eq "json items" "$(printf '%s' "$OUT" | jq '.items | length')" 2
check_eq "json aliases array" "$(printf '%s' "$OUT" | jq -c '.items[0].aliases')" '["www","www-http"]'
check_eq "json source" "$(printf '%s' "$OUT" | jq -r '.items[0].source')" "file $SF"
check_eq "json error record" "$(printf '%s' "$OUT" | jq -r '.items[1] | keys_unsorted | join(",")')" "item,error"
check_contains "json error text" "$(printf '%s' "$OUT" | jq -r '.items[1].error')" "'nosuch': no tcp or udp service of that name in $SF or the built-in table"
run_nk --json service -f none 25
check_json "global --json parses" "$OUT"
check_eq "global --json name" "$(printf '%s' "$OUT" | jq -r '.items[0].name')" smtp
check_eq "json null services_file" "$(printf '%s' "$OUT" | jq '.services_file')" null

# --- errors and exit codes --------------------------------------------
run_nk service -f none nosuch
check_eq "unknown name alone exits 1" "$RC" 1
check_contains "unknown name named on stderr" "$ERR" "netkit service: 'nosuch': no tcp or udp service of that name in the built-in table"
run_nk service -f none 9999
check_eq "unknown port exits 1" "$RC" 1
check_contains "unknown port named" "$ERR" "'9999': no tcp or udp service on that port"
run_nk service -f none foo://example.invalid/
check_eq "unknown scheme exits 1" "$RC" 1
check_contains "unknown scheme named" "$ERR" "unknown URL scheme 'foo'"
run_nk service -f none 80 nosuch 25
check_eq "one unknown of three exits 1" "$RC" 1
check_eq "the found ones still print" "$(count 'name: ')" 2
run_nk service -f none 70000
check_eq "port 70000 exits 65" "$RC" 65
check_contains "port 70000 named" "$ERR" "'70000' is not a port number (0-65535)"
run_nk service -f none -- -1
check_eq "negative port exits 65" "$RC" 65
run_nk service -f none 'http://'
check_eq "bad URL exits 65" "$RC" 65
check_contains "bad URL named" "$ERR" "'http://' is not a valid URL: no host"
run_nk service -f none 'http://h:99999/'
check_eq "URL port out of range exits 65" "$RC" 65
run_nk service -f none 'a b'
check_eq "name with a space exits 65" "$RC" 65
run_nk service -f none 70000 'http://'
check_eq "every item malformed exits 65" "$RC" 65
run_nk service -f none 70000 nosuch
check_eq "malformed + unknown exits 1" "$RC" 1
run_nk service
check_eq "no item is a usage error" "$RC" 64
check_contains "no item says what to give" "$ERR" "give a port, a service name or a URL"
run_nk service --proto sctp 80
check_eq "--proto sctp exits 64" "$RC" 64
check_contains "--proto error" "$ERR" "--proto takes tcp or udp, not 'sctp'"
run_nk service --proto
check_eq "--proto without value exits 64" "$RC" 64
check_contains "missing value named" "$ERR" "option --proto needs a value"
run_nk service --lesson --json
check_eq "--lesson --json exits 64" "$RC" 64
run_nk service --nope 80
check_eq "unknown option exits 64" "$RC" 64

# --- the recipes' lines -------------------------------------------------
lesson='Port: 80 => service name: http
Port: 25 => service name: smtp
http 80
https 443
ftp 21
gopher 70
smtp 25
imap 143
pop3 110'
run_nk service --lesson -f none
check_eq "lesson from the built-in table" "$RC:$OUT" "0:$lesson"
run_nk service --lesson -f "$NK_TMP/no-such-file"
check_eq "lesson without a services file" "$OUT" "$lesson"
run_nk service --lesson --proto udp -f none 53
check_eq "lesson with items" "$OUT" "Port: 53 => service name: domain"

# --- the machine's own /etc/services, when it has one -----------------
if [ -r /etc/services ]; then
    run_nk service 80 25
    check_eq "/etc/services: exit 0" "$RC" 0
    check_eq "/etc/services: 80/tcp" "$(record 2 name)" http
    check_eq "/etc/services: 25/tcp" "$(record 3 name)" smtp
    check_contains "/etc/services: named as source" "$OUT" "source: file /etc/services"
    run_nk service --lesson
    check_eq "/etc/services: lesson lines" "$OUT" "$lesson"
    check_eq "/etc/services: parses cleanly" "$ERR" ""
else
    nk_ok "no /etc/services here: built-in table covered above"
fi

# --- every example in the usage text and docs/service.md --------------
while IFS= read -r ex; do
    # shellcheck disable=SC2086
    run_nk ${ex#netkit }
    check_eq "example: $ex" "$RC" 0
done < <(printf '%s\n' "$("$NK" service --help)" | sed -n 's/^  \(netkit service .*\)$/\1/p')
docs=$(dirname "$0")/../../docs/service.md
NK_ABS=$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")
if [ -r "$docs" ]; then
    n=0
    # Each "$ " line of the page, in order, in one scratch directory (a
    # page example may write the file a later one reads). The output shown
    # under an example that does not depend on this machine's
    # /etc/services (-f, --services-file) must be what the binary prints.
    awk '/^\$ / { if (cmd != "") print cmd "\t" out; cmd = substr($0, 3); out = ""; next }
         /^```/ { if (cmd != "") print cmd "\t" out; cmd = ""; next }
         cmd != "" { out = out $0 "\\n" }
         END { if (cmd != "") print cmd "\t" out }' "$docs" >"$NK_TMP/examples"
    while IFS=$'\t' read -r ex want; do
        out=$(cd "$NK_TMP" && bash -c "set -o pipefail; ${ex//netkit /\"$NK_ABS\" }" 2>/dev/null)
        rc=$?
        case "$ex" in netkit*) n=$((n + 1)) ;; *) continue ;; esac
        # the examples that show an error say so with their item
        case "$ex" in
        *nosuch* | *foo:*) check_eq "doc example: $ex" "$rc" 1 ;;
        *70000*) check_eq "doc example: $ex" "$rc" 65 ;;
        *) check_eq "doc example: $ex" "$rc" 0 ;;
        esac
        case "$ex" in
        *" -f "* | *--services-file*)
            check_eq "doc output: $ex" "$out" "$(printf '%b' "${want%\\n}")" ;;
        esac
    done <"$NK_TMP/examples"
    check_eq "docs have examples" "$([ "$n" -ge 5 ] && echo yes)" yes
else
    nk_not_ok "docs/service.md present"
fi

nk_done
