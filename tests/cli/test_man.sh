#!/usr/bin/env bash
# The manual pages in docs/man: one page per command, lint-clean under
# mandoc, rendered by man(1) without warnings, and kept from drifting away
# from the binary: every option of the command's option tables (`netkit
# help --spec`, the tables the parser and --help use) is documented in the
# command's page, and the pages document no option the tables lack,
# netkit(1)'s exit-status table is `netkit help exit-codes --json`, and
# netkit(1) names every command.
#
# Pages are parsed from their mdoc source. An option is an argument of .Fl
# on an .It line (".It Fl p , Fl \-port Ar P" documents -p and --port; all
# arguments of one .Fl count, so ".It Fl 4 | 6" documents -4 and -6).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"

MAN_DIR=$(cd "$(dirname "$0")/../../docs/man" 2>/dev/null && pwd)

# ---------------------------------------------------------------- helpers

# The commands `netkit help` lists, and "name<TAB>summary" lines.
nk_commands() {
    "$NK" help | awk '/^commands:/ {f = 1; next} f && /^  [a-z]/ {print $1}'
}
nk_summaries() {
    "$NK" help | awk '/^commands:/ {f = 1; next}
        f && /^  [a-z]/ {n = $1; $1 = ""; sub(/^ +/, ""); print n "\t" $0}'
}

SPEC=$("$NK" help --spec)

# subcommands CMD: the rows of CMD's subcommand table.
subcommands() {
    awk -F '\t' -v c="$1" '$1 == "sub" && $2 == c {print $3}' <<<"$SPEC" | sort -u
}

# spec_options KEY: the options of one table (KEY: top, CMD or CMD/SUB),
# one per line (-p, --port, -4).
spec_options() {
    awk -F '\t' -v k="$1" '$1 == "opt" && $2 == k {
        if ($3 != "") print $3; if ($4 != "") print $4 }' <<<"$SPEC"
}

# all_options CMD: the options of CMD's table and of each subcommand's.
all_options() {
    awk -F '\t' -v c="$1" '$1 == "opt" && ($2 == c || index($2, c "/") == 1) {
        if ($3 != "") print $3; if ($4 != "") print $4 }' <<<"$SPEC" | sort -u
}

# unroff FILE: the page's source with the escapes that matter here undone
# (\- \(aq \(dq \e \&), so "echo\-tcp \-\-port" reads "echo-tcp --port".
unroff() {
    sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' \
        -e 's/\\&//g' -e 's/\\e/\\/g' "$1"
}

# page_options FILE: the options named on .It lines (see the header).
page_options() {
    unroff "$1" | awk '
        /^\.It / {
            fl = 0
            for (i = 2; i <= NF; i++) {
                w = $i
                if (w == "Fl") { fl = 1; continue }
                if (w ~ /^[A-Z][a-z][a-z]?$/) { fl = 0; continue }  # a macro
                if (!fl || w ~ /^[,|;:.()]$/) continue
                if (w ~ /^-?[A-Za-z0-9][A-Za-z0-9-]*$/) print "-" w
            }
        }' | sort -u
}

# section FILE NAME: the (unroffed) source lines of one .Sh section.
section() {
    unroff "$1" | awk -v want="$2" '
        /^\.Sh / {s = $0; sub(/^\.Sh +/, "", s); f = (s == want); next}
        f'
}

# subsection FILE NAME: the source lines of one .Ss subsection.
subsection() {
    awk -v want="$2" '
        /^\.S[hs] / {s = $0; sub(/^\.S[hs] +/, "", s)
                     f = ($1 == ".Ss" && s == want); next}
        f' "$1"
}

# words_missing "WANTED" "HAVE": words of the first list not in the second.
words_missing() {
    local w out=""
    for w in $1; do
        grep -qxF -- "$w" <<<"$2" || out="$out $w"
    done
    printf '%s' "${out# }"
}

for tool in mandoc man col jq; do
    if command -v "$tool" >/dev/null; then nk_ok "$tool is installed"; else
        nk_not_ok "$tool is installed" "scripts/deps.sh installs it"; fi
done

if [ -z "$MAN_DIR" ]; then
    nk_not_ok "docs/man exists"
    nk_done
    exit
fi

COMMANDS=$(nk_commands)
SUMMARIES=$(nk_summaries)
if [ "$(wc -w <<<"$COMMANDS")" -ge 2 ]; then
    nk_ok "netkit help lists the commands"
else nk_not_ok "netkit help lists the commands" "got: $COMMANDS"; fi

# The page of each command; help is documented in netkit.1.
page_of() {
    if [ "$1" = help ]; then echo "$MAN_DIR/netkit.1"; else
        echo "$MAN_DIR/netkit-$1.1"; fi
}

# ------------------------------------------- (1) a page for every command

PAGES=("$MAN_DIR/netkit.1")
check_eq "netkit.1 exists" "$([ -f "$MAN_DIR/netkit.1" ] && echo yes)" yes
for cmd in $COMMANDS; do
    [ "$cmd" = help ] && continue
    page=$(page_of "$cmd")
    if [ -f "$page" ]; then
        nk_ok "netkit-$cmd.1 exists"
        PAGES+=("$page")
    else
        nk_not_ok "netkit-$cmd.1 exists" "missing: $page"
    fi
done
# and no page for a command that does not exist
for page in "$MAN_DIR"/*; do
    [ -e "$page" ] || continue
    base=$(basename "$page")
    case "$base" in
    netkit.1) continue ;;
    netkit-*.1)
        cmd=${base#netkit-}
        cmd=${cmd%.1}
        if grep -qxF -- "$cmd" <<<"$COMMANDS" && [ "$cmd" != help ]; then
            continue
        fi ;;
    esac
    nk_not_ok "docs/man/$base is the page of a command" \
        "netkit help lists no such command"
done

# ------------------------------------ (2) mandoc lint, (3) man(1) renders

# MANPATH points nowhere so that cross-references are looked up the same way
# on every machine (no "outdated mandoc.db" notes): every .Xr is then
# "referenced manual not found", the one STYLE message allowed.
for page in "${PAGES[@]}"; do
    base=$(basename "$page")
    lint=$(MANPATH=/nonexistent mandoc -T lint -W warning "$page" 2>&1)
    lint_rc=$?
    if [ -z "$lint" ] && [ "$lint_rc" -eq 0 ]; then
        nk_ok "$base: mandoc -T lint -W warning is silent"
    else nk_not_ok "$base: mandoc -T lint -W warning is silent" \
        "rc $lint_rc" "$lint"; fi
    style=$(MANPATH=/nonexistent mandoc -T lint -W style "$page" 2>&1 |
        grep -v 'STYLE: referenced manual not found')
    if [ -z "$style" ]; then
        nk_ok "$base: no STYLE message but unresolved references"
    else nk_not_ok "$base: no STYLE message but unresolved references" \
        "$style"; fi

    name=${base%.1}
    for loc in C C.UTF-8; do
        LC_ALL=$loc MANWIDTH=80 MANPAGER=cat PAGER=cat \
            man --warnings -l "$page" >"$NK_TMP/man.out" 2>"$NK_TMP/man.err"
        rc=$?
        err=$(cat "$NK_TMP/man.err")
        if [ "$rc" -eq 0 ] && [ -z "$err" ]; then
            nk_ok "$base: man --warnings -l renders silently ($loc)"
        else nk_not_ok "$base: man --warnings -l renders silently ($loc)" \
            "rc $rc" "$err"; fi
        got=$(col -b <"$NK_TMP/man.out" |
            awk '/^NAME$/ {getline; sub(/^ +/, ""); print; exit}')
        case "$got" in
        "$name "*) nk_ok "$base: rendered NAME line names $name ($loc)" ;;
        *) nk_not_ok "$base: rendered NAME line names $name ($loc)" \
            "got: $got" ;;
        esac
    done

    # title and name match the file
    want_dt=".Dt $(tr '[:lower:]' '[:upper:]' <<<"$name") 1"
    check_eq "$base: .Dt" "$(grep -m1 '^\.Dt ' "$page")" "$want_dt"
    check_eq "$base: .Nm" "$(grep -m1 '^\.Nm ' "$page")" ".Nm $name"
done

# --------------------------------- each command page against the binary

CODES=$("$NK" help exit-codes --json | jq -r '.exit_codes[].code' 2>/dev/null)

for cmd in $COMMANDS; do
    [ "$cmd" = help ] && continue
    page=$(page_of "$cmd")
    base=$(basename "$page")
    [ -f "$page" ] || continue

    # the one-line summary is the .Nd, the SYNOPSIS names the command
    summary=$(awk -F '\t' -v c="$cmd" '$1 == c {print $2}' <<<"$SUMMARIES")
    check_eq "$base: .Nd is the summary in 'netkit help'" \
        "$(grep -m1 '^\.Nd ' "$page" | sed 's/^\.Nd //')" "$summary"
    if section "$page" SYNOPSIS | grep -qE "^\.Cm $cmd( |$)"; then
        nk_ok "$base: SYNOPSIS has .Cm $cmd"
    else nk_not_ok "$base: SYNOPSIS has .Cm $cmd"; fi

    # (4) drift: options of the command and of each subcommand
    documented=$(page_options "$page")
    all=""
    for sub in "" $(subcommands "$cmd"); do
        label="$cmd${sub:+ $sub}"
        # shellcheck disable=SC2086 # "CMD SUB" is two words
        if ! text=$("$NK" $label --help 2>&1); then
            nk_not_ok "netkit $label --help exits 0" "$text"
            continue
        fi
        opts=$(spec_options "$cmd${sub:+/$sub}")
        all="$all $opts"
        if [ -z "$opts" ]; then
            nk_not_ok "'$label' has an option table to compare"
            continue
        fi
        missing=$(words_missing "$opts" "$documented")
        if [ -z "$missing" ]; then
            nk_ok "$base documents every option of the '$label' table"
        else nk_not_ok "$base documents every option of the '$label' table" \
            "not on an .It line: $missing"; fi
    done
    extra=$(words_missing "$documented" "$(tr ' ' '\n' <<<"$all")")
    if [ -z "$extra" ]; then
        nk_ok "$base documents no option that the tables lack"
    else nk_not_ok "$base documents no option that the tables lack" \
        "not in any '$cmd ...' table: $extra"; fi

    # exit statuses: some listed, each one netkit has
    listed=$(section "$page" "EXIT STATUS" | awk '/^\.It / {
        for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) print $i }')
    unknown=$(words_missing "$listed" "$CODES")
    if [ -n "$listed" ] && [ -z "$unknown" ]; then
        nk_ok "$base: EXIT STATUS lists netkit's codes ($(tr '\n' ' ' <<<"$listed"))"
    else nk_not_ok "$base: EXIT STATUS lists netkit's codes" \
        "listed: $(tr '\n' ' ' <<<"$listed")" "not a netkit code: $unknown"; fi
done

# Examples: every "$ netkit ..." line of a page's EXAMPLES names a real
# command (and subcommand) and only options its --help has. The command
# line ends at the first | ; & or >.
for page in "${PAGES[@]}"; do
    base=$(basename "$page")
    examples=$(section "$page" EXAMPLES | grep -E '^\$ netkit( |$)')
    if [ -z "$examples" ]; then
        nk_not_ok "$base: EXAMPLES has a '\$ netkit' command"
        continue
    fi
    bad=""
    while IFS= read -r line; do
        line=${line#\$ }
        line=${line%%[|;&>]*}
        read -ra w <<<"$line"
        i=1
        while [ "${w[i]:-}" = --json ]; do i=$((i + 1)); done
        cmd=${w[i]:-}
        if [ -z "$cmd" ] || [[ "$cmd" == -* ]]; then
            continue                    # netkit, netkit --help, --version
        fi
        if ! grep -qxF -- "$cmd" <<<"$COMMANDS"; then
            bad="$bad; '$line': no command $cmd"
            continue
        fi
        known=$(all_options "$cmd" 2>/dev/null)
        known="$known --json --help"
        for word in "${w[@]:i+1}"; do
            [[ "$word" == --?* ]] || continue
            word=${word%%=*}
            grep -qxF -- "$word" <<<"$(tr ' ' '\n' <<<"$known")" ||
                bad="$bad; '$line': $cmd has no $word"
        done
    done <<<"$examples"
    if [ -z "$bad" ]; then
        nk_ok "$base: examples use real commands and options"
    else nk_not_ok "$base: examples use real commands and options" \
        "${bad#; }"; fi
done

# --------------------------------------------------------------- netkit.1

main="$MAN_DIR/netkit.1"
if [ -f "$main" ]; then
    # (4) for netkit.1: the global options (the "top" table) and the help
    # command's table. The global ones belong to its "Global options"
    # subsection, the help command's to its "help" subsection.
    global=$(spec_options top)
    helpcmd=$(spec_options help)
    documented=$(page_options "$main")
    in_global=$(page_options <(subsection "$main" "Global options"))
    in_help=$(page_options <(subsection "$main" help))
    missing=$(words_missing "$global" "$in_global")
    if [ -n "$global" ] && [ -z "$missing" ]; then
        nk_ok "netkit.1 Global options has $(tr '\n' ' ' <<<"$global")"
    else nk_not_ok "netkit.1 Global options has every global option" \
        "global: $(tr '\n' ' ' <<<"$global")" "not on an .It line: $missing"
    fi
    missing=$(words_missing "$helpcmd" "$in_help")
    if [ -z "$missing" ]; then
        nk_ok "netkit.1 help subsection has every option of 'help --help'"
    else nk_not_ok "netkit.1 help subsection has every option of 'help --help'" \
        "not on an .It line: $missing"; fi
    extra=$(words_missing "$documented" "$global"$'\n'"$helpcmd")
    if [ -z "$extra" ]; then
        nk_ok "netkit.1 documents no option netkit lacks"
    else nk_not_ok "netkit.1 documents no option netkit lacks" \
        "not in the global or the help table: $extra"; fi

    # (5) the exit-status table is 'netkit help exit-codes --json': its
    # first list, one ".It CODE Pq NAME" per status, the meaning below.
    json=$("$NK" help exit-codes --json)
    shape='(.exit_codes | type == "array" and length > 0) and
        all(.exit_codes[]; (keys == ["code", "meaning", "name"]) and
            (.code | type == "number") and (.name | type == "string") and
            (.meaning | type == "string"))'
    if jq -e "$shape" >/dev/null 2>&1 <<<"$json"; then
        nk_ok "exit-codes JSON is {exit_codes: [{code, name, meaning}]}"
    else nk_not_ok "exit-codes JSON is {exit_codes: [{code, name, meaning}]}" \
        "$json"; fi
    want=$(jq -r '.exit_codes[] | "\(.code)\t\(.name)\t\(.meaning)"' \
        <<<"$json" 2>/dev/null)
    got=$(section "$main" "EXIT STATUS" | awk '
        /^\.Bl / { if (done) exit; inlist = 1; next }
        /^\.El/  { if (inlist) { flush(); done = 1; inlist = 0 }; next }
        !inlist  { next }
        /^\.It / { flush(); code = $2; name = $NF; meaning = ""; have = 1
                   next }
        /^\./    { next }
        { meaning = meaning (meaning == "" ? "" : " ") $0 }
        function flush() {
            if (have) print code "\t" name "\t" meaning
            have = 0
        }')
    if [ -n "$want" ] && [ "$got" == "$want" ]; then
        nk_ok "netkit.1 EXIT STATUS table is 'help exit-codes --json'"
    else
        mapfile -t d < <(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") |
            grep '^[<>]' | sed 's/^</json:/; s/^>/page:/')
        nk_not_ok "netkit.1 EXIT STATUS table is 'help exit-codes --json'" \
            "${d[@]}"
    fi
    check_eq "netkit.1 EXIT STATUS has every code" \
        "$(cut -f1 <<<"$got" | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$CODES")"

    # (6) netkit.1 names every command, points to its page, and lists no
    # command netkit does not have.
    listed=$(awk '/^\.Ss Commands/ {f = 1; next} /^\.S[hs] / {f = 0}
        f && /^\.It Cm / {print $3}' "$main")
    for cmd in $COMMANDS; do
        if grep -qxF -- "$cmd" <<<"$listed"; then
            nk_ok "netkit.1 lists command $cmd"
        else nk_not_ok "netkit.1 lists command $cmd" \
            "no '.It Cm $cmd' in its Commands list"; fi
        [ "$cmd" = help ] && continue
        if grep -qE "^\.Xr netkit-$cmd 1( |$)" "$main" &&
            section "$main" "SEE ALSO" | grep -qE "^\.Xr netkit-$cmd 1( |$)"
        then nk_ok "netkit.1 refers to netkit-$cmd(1), also in SEE ALSO"
        else nk_not_ok "netkit.1 refers to netkit-$cmd(1), also in SEE ALSO"
        fi
    done
    extra=$(words_missing "$listed" "$COMMANDS")
    if [ -z "$extra" ]; then nk_ok "netkit.1 lists no unknown command"
    else nk_not_ok "netkit.1 lists no unknown command" "$extra"; fi
    if section "$main" ENVIRONMENT | grep -q '^\.It Ev NO_COLOR'; then
        nk_ok "netkit.1 ENVIRONMENT has NO_COLOR"
    else nk_not_ok "netkit.1 ENVIRONMENT has NO_COLOR"; fi
fi

# every command page points back to netkit(1)
for page in "${PAGES[@]}"; do
    base=$(basename "$page")
    [ "$base" = netkit.1 ] && continue
    if section "$page" "SEE ALSO" | grep -qE '^\.Xr netkit 1( |$)'; then
        nk_ok "$base: SEE ALSO has netkit(1)"
    else nk_not_ok "$base: SEE ALSO has netkit(1)"; fi
done

nk_done
