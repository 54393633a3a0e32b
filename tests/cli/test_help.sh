#!/usr/bin/env bash
# The binary's dispatch: help, version, unknown commands, exit-code table,
# and the stdout write check.
. "$(dirname "$0")/lib.sh" "$@"

run_nk
check_eq "bare netkit is a usage error" "$RC" 64
check_contains "bare netkit lists commands on stderr" "$ERR" "byteorder"

for h in --help -h help; do
    run_nk $h
    check_eq "netkit $h exits 0" "$RC" 0
    check_contains "netkit $h lists byteorder" "$OUT" "  byteorder "
    check_contains "netkit $h lists help" "$OUT" "  help "
done

run_nk --version
check_eq "--version exits 0" "$RC" 0
if [[ "$OUT" =~ ^netkit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    nk_ok "--version prints 'netkit X.Y.Z'"
else nk_not_ok "--version format" "$OUT"; fi

run_nk nosuch
check_eq "unknown command exits 64" "$RC" 64
check_contains "unknown command named" "$ERR" "'nosuch' is not a netkit command"
check_contains "unknown command gets a suggestion" "$ERR" "Did you mean 'netkit "
run_nk byteordr 1
check_eq "typo exits 64" "$RC" 64
check_contains "typo suggests byteorder" "$ERR" "Did you mean 'netkit byteorder'?"

run_nk --frob
check_eq "unknown global option exits 64" "$RC" 64

# Every command: --help and 'help COMMAND' print the same usage with an
# example, exit 0.
for cmd in $("$NK" help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1}'); do
    run_nk "$cmd" --help
    a=$OUT
    check_eq "$cmd --help exits 0" "$RC" 0
    run_nk help "$cmd"
    check_eq "help $cmd same as $cmd --help" "$OUT" "$a"
    check_contains "$cmd usage has an example" "$a" "examples:"
done

# The exit-code table: the binary's JSON is the reference; its text form,
# and the README's table, must say the same, row for row, both ways (a row
# missing on either side, or a meaning reworded, fails).
run_nk help exit-codes --json
check_eq "help exit-codes --json exits 0" "$RC" 0
check_json "help exit-codes --json is JSON" "$OUT"
json_rows=$(printf '%s' "$OUT" | jq -r '.exit_codes[] | "\(.code)|\(.meaning)"' | sort -n)
json_names=$(printf '%s' "$OUT" | jq -r '.exit_codes[] | "\(.code) \(.name)"' | sort -n)
json_full=$(printf '%s' "$OUT" | jq -r '.exit_codes[] | "\(.code)|\(.name)|\(.meaning)"' | sort -n)
if [ "$(printf '%s\n' "$json_rows" | grep -c .)" -ge 5 ]; then
    nk_ok "exit-codes JSON has rows ($(printf '%s\n' "$json_rows" | grep -c .))"
else nk_not_ok "exit-codes JSON has rows" "$OUT"; fi
check_eq "exit-codes JSON: codes unique" \
    "$(printf '%s\n' "$json_rows" | cut -d'|' -f1 | uniq -d)" ""
check_eq "exit-codes JSON: 0 is success, 64 usage (sysexits)" \
    "$(printf '%s\n' "$json_names" | grep -E '^(0|64) ')" "0 ok
64 usage"
run_nk help exit-codes
check_eq "help exit-codes exits 0" "$RC" 0
check_eq "help exit-codes text = its JSON (code, name, meaning)" \
    "$(printf '%s\n' "$OUT" | awk 'NF {c = $1; n = $2; $1 = $2 = ""; sub(/^ +/, ""); print c "|" n "|" $0}' | sort -n)" \
    "$json_full"

# The README's table ("| code | meaning |" under "## Exit codes").
readme="$(dirname "$0")/../../README.md"
readme_rows=$(awk '/^## Exit codes/ {f = 1; next} f && /^## / {exit}
    f && /^\| *[0-9]+ *\|/ {
        sub(/^\| */, ""); sub(/ *\| *$/, ""); sub(/ *\| */, "|"); print
    }' "$readme" | sort -n)
check_eq "README's exit-code table = netkit help exit-codes --json" \
    "$readme_rows" "$json_rows"

# help --spec: the tables as records. Every command of 'netkit help' is a
# cmd record; the subcommand rows (sntp's and sockopt's too, issue 13);
# each table's options are exactly what its --help renders, both ways.
run_nk help --spec
check_eq "help --spec exits 0" "$RC" 0
SPEC=$OUT
check_eq "help --spec: a cmd record per command of 'netkit help'" \
    "$(awk -F'\t' '$1 == "cmd" {print $2}' <<<"$SPEC" | tr '\n' ' ')" \
    "$("$NK" help | awk '/^commands:/ {f = 1; next} f && /^  [a-z]/ {print $1}' | tr '\n' ' ')"
subs_of() { awk -F'\t' -v c="$1" '$1 == "sub" && $2 == c {print $3}' <<<"$SPEC" | tr '\n' ' '; }
check_eq "help --spec: sntp's subcommand rows" "$(subs_of sntp)" "serve bench "
check_eq "help --spec: sockopt's subcommand rows" "$(subs_of sockopt)" "show reuse listen "
check_eq "help --spec: every record is cmd, sub, usage, opt or topic" \
    "$(cut -f1 <<<"$SPEC" | sort -u | tr '\n' ' ')" "cmd opt sub topic usage "
check_contains "help --spec: global -V, --version" "$SPEC" "opt	top	-V	--version		flag"
check_contains "help --spec: an option's argument and kind" "$SPEC" \
    "opt	sockopt/show		--nodelay	on|off	call		set TCP_NODELAY"
# rendered: the option column of each --help line, "-p, --port P" -> -p --port
rendered() {
    "$NK" "$@" --help | sed -n '/^options:/,/^$/p' | grep -E '^  (-|    --)' |
        sed -E 's/^ +//; s/  .*//' | grep -oE -- '(^|[ ,])--?[A-Za-z0-9][a-z0-9-]*' |
        tr -d ' ,' | sort | tr '\n' ' '
}
tabled() {
    awk -F'\t' -v k="$1" '$1 == "opt" && $2 == k {
        if ($3 != "") print $3; if ($4 != "") print $4 }' <<<"$SPEC" | sort | tr '\n' ' '
}
nkeys=0
for k in $(awk -F'\t' '$1 == "cmd" {print $2} $1 == "sub" {print $2 "/" $3}' <<<"$SPEC"); do
    nkeys=$((nkeys + 1))
    check_eq "help --spec: '${k/\// }' table = its --help options" \
        "$(tabled "$k")" "$(rendered ${k/\// })"
done
check_eq "help --spec: at least 30 tables compared ($nkeys)" "$((nkeys >= 30))" 1
run_nk help --spec byteorder
check_eq "help --spec takes no topic: 64" "$RC" 64

# A failed write to stdout is an error (74), not a silent success.
"$NK" help >/dev/full 2>"$NK_TMP/full.err"
check_eq "write to a full disk exits 74" "$?" 74
check_contains "write error reported" "$(cat "$NK_TMP/full.err")" "write to standard output"
# A closed pipe: SIGPIPE is ignored, EPIPE reported; never a crash.
"$NK" byteorder --lesson 2>"$NK_TMP/pipe.err" | true
st=${PIPESTATUS[0]}
if [ "$st" -eq 0 ] || [ "$st" -eq 74 ]; then nk_ok "closed pipe: no signal death ($st)"
else nk_not_ok "closed pipe: no signal death" "status $st"; fi

nk_done
