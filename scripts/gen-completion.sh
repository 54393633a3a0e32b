#!/bin/sh
# usage: gen-completion.sh NETKIT OUTDIR
#
# Writes OUTDIR/netkit (bash) and OUTDIR/_netkit (zsh) completion for
# netkit, generated from the binary's own tables ('netkit help --spec':
# the command table, every subcommand table and every option table, see
# src/cmd/spec.c), so they cannot drift from it: the commands and
# subcommands with their summaries, every option (short and long form,
# argument name, kind, choices, help) and the operands each synopsis
# names. Paths: an option argument named DIR completes directories, FILE
# or DEST files; a FILE operand completes files (DIR, PATH and REMOTE
# operands are the server's); a choice completes its names. The build
# runs it (target 'completion'). POSIX sh and POSIX awk only. Fails with
# a message when the tables cannot be read; the files are replaced only
# once both are complete (written aside, then mv).

set -u
me=gen-completion.sh

die() {
    printf '%s: %s\n' "$me" "$*" >&2
    exit 1
}

if [ $# -ne 2 ]; then
    printf 'usage: %s NETKIT OUTDIR\n' "$me" >&2
    exit 2
fi
NK=$1
OUT=$2
[ -f "$NK" ] && [ -x "$NK" ] || die "$NK: not an executable file"
mkdir -p "$OUT" || die "cannot create $OUT"
TMP=$(mktemp -d "$OUT/.gen-completion.XXXXXX") || die "cannot create a temporary directory in $OUT"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM

"$NK" help --spec >"$TMP/spec" 2>"$TMP/err" ||
    die "'netkit help --spec' failed (status $?): $(head -c 300 "$TMP/err")"

# --- the tables, as the emitters' records ---------------------------------
# Input: the spec records (cmd, topic, sub, usage, opt). Output records,
# tab-separated:
#   C name summary            a command
#   T topic description       a 'netkit help TOPIC'
#   S cmd sub description     a subcommand
#   O key shorts longs arg kind repeat description
#                             an option; kind: dir, file, choice or none
#   P key index name optional rest
#                             an operand of the key's first synopsis form
DATA=$TMP/data
awk -F'\t' '
function trim(s) { sub(/^[ ]+/, "", s); sub(/[ ]+$/, "", s); return s }
# a help text up to its first sentence or aside, without trailing marks
function clip(s) {
    if (match(s, /(\. |; | \()/)) s = substr(s, 1, RSTART - 1)
    s = trim(s); sub(/[ ]*[,;:.]$/, "", s)
    return s
}
function tokenize(s,    c, i, depth, cur, nt) {
    nt = 0; cur = ""; depth = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "[" || c == "(") depth++
        else if ((c == "]" || c == ")") && depth > 0) depth--
        if (c == " " && depth == 0) {
            if (cur != "") T[++nt] = cur
            cur = ""
        } else cur = cur c
    }
    if (cur != "") T[++nt] = cur
    return nt
}
# The operands of synopsis form f of key, from token index start on.
function operands(key, f, start,    nt, j, t, inner, na, k, A, rest, optional, npos) {
    split("", T)
    nt = tokenize(f); npos = 0
    for (j = start; j <= nt; j++) {
        t = T[j]; optional = 0
        if (t ~ /^\(/) continue
        if (t ~ /^-/) {
            if (j < nt && T[j + 1] !~ /^[-\[(]/ && (T[j + 1] ~ /^[A-Z]/ || T[j + 1] ~ /\|/)) j++
            continue
        }
        if (t ~ /^\[/) {
            inner = t; sub(/^\[/, "", inner); sub(/\](\.\.\.)?$/, "", inner)
            if (t ~ /\]\.\.\.$/) inner = inner "..."
            if (inner ~ /^-/ || inner ~ /^(OPTIONS|options)$/) continue
            na = split(inner, A, "|"); t = ""
            for (k = 1; k <= na; k++)
                if (trim(A[k]) ~ /^[A-Z][A-Z0-9_]*(\.\.\.)?$/) { t = trim(A[k]); break }
            if (t == "") continue
            optional = 1
        }
        if (t !~ /^[A-Z][A-Z0-9_]*(\.\.\.)?$/) continue
        rest = (t ~ /\.\.\.$/) ? 1 : 0; sub(/\.\.\.$/, "", t)
        print "P\t" key "\t" ++npos "\t" t "\t" optional "\t" rest
    }
}
function argkind(a, choices) {
    if (choices != "") return "choice"
    if (a ~ /^(DIR|DIRECTORY)(\||$)/) return "dir"
    if (a ~ /^(FILE|DEST)(\||$)/) return "file"
    if (a ~ /^[a-z0-9][a-z0-9-]*(\|[a-z0-9][a-z0-9-]*)+$/) return "choice"
    return "none"
}
$1 == "cmd" { print "C\t" $2 "\t" $3; next }
$1 == "topic" { print "T\t" $2 "\t" $3; next }
$1 == "sub" { print "S\t" $2 "\t" $3 "\t" $4; IS[$2 "/" $3] = 1; HAS[$2] = 1; next }
$1 == "opt" {
    arg = $7 != "" ? $7 : $5
    rep = ($6 == "count" || $8 ~ /may be repeated|repeatable/) ? 1 : 0
    print "O\t" $2 "\t" $3 "\t" $4 "\t" arg "\t" argkind(arg, $7) "\t" rep "\t" clip($8)
    next
}
$1 == "usage" {
    if ($2 in DONE) next
    split("", T); tokenize($3); t = T[3]
    if (index($2, "/")) { DONE[$2] = 1; operands($2, $3, 4); next }
    if (HAS[$2] && ((($2 "/" t) in IS) || t ~ /\|/)) next    # a subcommand form
    DONE[$2] = 1
    operands($2, $3, t ~ /^\[[a-z][a-z0-9-]*\]$/ ? 4 : 3)
    next
}
{ print "E\tunknown record: " $1; exit }
' "$TMP/spec" >"$DATA" || die "awk failed on 'netkit help --spec'"
if grep '^E' "$DATA" >"$TMP/errs"; then
    die "'netkit help --spec': $(cut -f2 "$TMP/errs" | head -n 1)"
fi
grep -q '^C' "$DATA" || die "no commands found in '$NK help --spec'"
awk -F'\t' '$1 == "O" && $4 != ""' "$DATA" | grep -q . ||
    die "no long options found in '$NK help --spec'"

# --- bash ----------------------------------------------------------------
{
    cat <<'EOF'
# bash completion for netkit                              -*- shell-script -*-
# Generated by scripts/gen-completion.sh from 'netkit help --spec' (the
# command, subcommand and option tables); do not edit.

# _netkit_data KEY: sets REPLY to the words for KEY; status 1 if none.
_netkit_data()
{
    case $1 in
EOF
    awk -F'\t' '
    function add(k, v) {
        if (!(k in V)) { K[++nk] = k; V[k] = v }
        else V[k] = V[k] " " v
    }
    $1 == "C" { add("cmds", $2) }
    $1 == "T" { add("topics", $2) }
    $1 == "S" { add("subs/" $2, $3) }
    $1 == "O" {
        names = $3 ($3 != "" && $4 != "" ? " " : "") $4
        add("opts/" $2, names)
        if ($5 != "") add("args/" $2, names)
        if ($6 == "dir") add("dirs/" $2, names)
        if ($6 == "file") add("files/" $2, names)
        if ($6 == "choice") {
            ch = $5; gsub(/\|/, " ", ch); n = split(names, N, " ")
            for (i = 1; i <= n; i++) add("choice/" $2 "/" N[i], ch)
        }
    }
    $1 == "P" { add("pos/" $2, $4 ($6 == 1 ? "..." : "")) }
    END {
        for (i = 1; i <= nk; i++)
            printf "    %s) REPLY=\047%s\047 ;;\n", K[i], V[K[i]]
    }' "$DATA"
    cat <<'EOF'
    *) REPLY=; return 1 ;;
    esac
}

# _netkit_add: appends each non-empty line of standard input to COMPREPLY.
_netkit_add()
{
    local line
    while IFS= read -r line; do
        [[ -n $line ]] && COMPREPLY+=("$line")
    done
    return 0
}

# _netkit_value KEY OPTION WORD: completes OPTION's argument.
_netkit_value()
{
    local REPLY
    if _netkit_data "dirs/$1" && [[ " $REPLY " == *" $2 "* ]]; then
        compopt -o filenames 2>/dev/null
        _netkit_add <<<"$(compgen -d -- "$3")"
    elif _netkit_data "files/$1" && [[ " $REPLY " == *" $2 "* ]]; then
        compopt -o filenames 2>/dev/null
        _netkit_add <<<"$(compgen -f -- "$3")"
    elif _netkit_data "choice/$1/$2"; then
        _netkit_add <<<"$(compgen -W "$REPLY" -- "$3")"
    fi
}

_netkit()
{
    local REPLY IFS=$' \t\n' cur w i cmd='' ci=0 key sub subs argopts
    local start pending='' skip=0 npos=0 prefix pos
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}

    # The command: the first word that is neither a global option nor
    # a global option's argument.
    _netkit_data args/top
    argopts=" $REPLY "
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then skip=$((skip - 1)); continue; fi
        case $w in
        -*=*) ;;
        -*) [[ $argopts == *" $w "* ]] && skip=1 ;;
        *) cmd=$w; ci=$i; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then _netkit_data opts/top; else _netkit_data cmds; fi
        _netkit_add <<<"$(compgen -W "$REPLY" -- "$cur")"
        return 0
    fi

    key=$cmd
    start=$((ci + 1))
    if _netkit_data "subs/$cmd"; then
        subs=" $REPLY "
        if ((COMP_CWORD == ci + 1)) && [[ $cur != -* ]]; then
            _netkit_add <<<"$(compgen -W "$subs" -- "$cur")"
            return 0
        fi
        sub=${COMP_WORDS[ci + 1]}
        if [[ $subs == *" $sub "* ]]; then
            key=$cmd/$sub
            start=$((ci + 2))
        fi
    fi

    # Walk the words before the cursor: options, their arguments
    # ("--opt ARG", "--opt=ARG"; bash splits the latter at '='), operands.
    _netkit_data "args/$key"
    argopts=" $REPLY "
    skip=0
    for ((i = start; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then skip=$((skip - 1)); continue; fi
        case $w in
        -*=*) ;;
        -*)
            if [[ $argopts == *" $w "* ]]; then
                pending=$w
                skip=1
                [[ ${COMP_WORDS[i + 1]-} == = ]] && skip=2
            fi
            ;;
        *) npos=$((npos + 1)) ;;
        esac
    done
    if ((skip)); then
        [[ $cur == = ]] && cur=
        _netkit_value "$key" "$pending" "$cur"
        return 0
    fi
    if [[ $cur == -*=* ]]; then         # '=' not in COMP_WORDBREAKS
        prefix=${cur%%=*}=
        _netkit_value "$key" "${cur%%=*}" "${cur#*=}"
        COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        return 0
    fi
    if [[ $cur == -* ]]; then
        _netkit_data "opts/$key"
        _netkit_add <<<"$(compgen -W "$REPLY" -- "$cur")"
        return 0
    fi

    # An operand: the usage line's name for this position.
    _netkit_data "pos/$key" || return 0
    read -ra pos <<<"$REPLY"
    if ((npos < ${#pos[@]})); then
        w=${pos[npos]}
    else
        w=${pos[${#pos[@]} - 1]}
        [[ $w == *... ]] || return 0
    fi
    case ${w%...} in
    FILE)   # a local file (a DIR or PATH operand is the server's)
        compopt -o filenames 2>/dev/null
        _netkit_add <<<"$(compgen -f -- "$cur")"
        ;;
    COMMAND)
        _netkit_data cmds
        w=$REPLY
        _netkit_data topics
        _netkit_add <<<"$(compgen -W "$w $REPLY" -- "$cur")"
        ;;
    esac
    return 0
}

complete -F _netkit netkit
EOF
} >"$TMP/netkit.bash" || die "cannot write $TMP/netkit.bash"

# --- zsh -----------------------------------------------------------------
awk -F'\t' -v q="'" '
function esc(s) { gsub(q, q "\\" q q, s); return s }          # in q...q
function bdesc(s) { gsub(/\\/, "\\\\", s); gsub(/\[/, "\\[", s); gsub(/\]/, "\\]", s); return esc(s) }
function cdesc(s) { gsub(/\\/, "\\\\", s); gsub(/:/, "\\:", s); return s }
function fname(k) { gsub("/", "__", k); return "_netkit__" k }
function action(name, kind, arg) {
    if (kind == "dir") return "_files -/"
    if (kind == "file" || name == "FILE") return "_files"
    if (kind == "choice") { gsub(/\|/, " ", arg); return "(" arg ")" }
    if (name == "COMMAND") return "_netkit_help_topic"
    return " "
}
# the _arguments specs of KEY, one per line, each ending in " \\";
# its operands too unless nopos
function specs(k, nopos,    i, j, n, N, all, excl, s, out) {
    out = ""
    for (i = 1; i <= no[k]; i++) {
        split(O[k, i], R, "\t")
        all = R[3] (R[3] != "" && R[4] != "" ? " " : "") R[4]
        n = split(all, N, " ")
        if (R[7] == 1) excl = "*"
        else if (n > 1) excl = "(" all ")"
        else excl = ""
        for (j = 1; j <= n; j++) {
            s = excl N[j]
            if (R[5] != "") s = s (N[j] ~ /^--/ ? "=" : "+")
            if (R[8] != "") s = s "[" bdesc(R[8]) "]"
            if (R[5] != "") s = s ":" tolower(R[5]) ":" action("", R[6], R[5])
            out = out "        " q s q " \\\n"
        }
    }
    for (i = 1; !nopos && i <= np[k]; i++) {
        split(P[k, i], R, "\t")
        s = (R[6] == 1 ? "*" : R[3] (R[5] == 1 ? ":" : "")) ":" tolower(R[4]) ":" action(R[4], "", "")
        out = out "        " q esc(s) q " \\\n"
    }
    return out
}
$1 == "C" { C[++nc] = $2; CD[$2] = $3 }
$1 == "T" { TP[++nt] = $2; TD[$2] = $3 }
$1 == "S" { SB[$2, ++ns[$2]] = $3; SD[$2 "/" $3] = $4 }
$1 == "D" { DD[$2] = $3 }
$1 == "O" { O[$2, ++no[$2]] = $0 }
$1 == "P" { P[$2, ++np[$2]] = $0 }
END {
    print "#compdef netkit"
    print "# zsh completion for netkit. Generated by scripts/gen-completion.sh from"
    print "# \047netkit help --spec\047 (the command, subcommand and option tables); do not edit."
    print ""
    print "_netkit_commands() {"
    print "    local -a cmds"
    print "    cmds=("
    for (i = 1; i <= nc; i++) print "        " q esc(C[i] ":" cdesc(CD[C[i]])) q
    print "    )"
    print "    _describe -t commands \047netkit command\047 cmds"
    print "}"
    print ""
    print "_netkit_help_topic() {"
    print "    local ret=1"
    print "    local -a topics"
    print "    topics=("
    for (i = 1; i <= nt; i++) print "        " q esc(TP[i] ":" cdesc(TD[TP[i]])) q
    print "    )"
    print "    _netkit_commands && ret=0"
    print "    _describe -t topics \047help topic\047 topics && ret=0"
    print "    return ret"
    print "}"
    for (c = 1; c <= nc; c++) {
        cmd = C[c]
        print ""
        if (!ns[cmd]) {
            print fname(cmd) "() {"
            printf "    _arguments -S : \\\n%s", specs(cmd)
            print "        && return 0"
            print "    return 1"
            print "}"
            continue
        }
        for (i = 1; i <= ns[cmd]; i++) {
            k = cmd "/" SB[cmd, i]
            print fname(k) "() {"
            printf "    _arguments -S : \\\n%s", specs(k)
            print "        && return 0"
            print "    return 1"
            print "}"
            print ""
        }
        print fname(cmd) "() {"
        print "    local curcontext=$curcontext state state_descr line ret=1"
        print "    typeset -A opt_args"
        printf "    _arguments -C -S : \\\n%s", specs(cmd, 1)
        print "        \0471: :->sub\047 \\"
        print "        \047*:: :->args\047 && ret=0"
        print "    case $state in"
        print "    sub)"
        print "        local -a subs"
        print "        subs=("
        for (i = 1; i <= ns[cmd]; i++) {
            k = cmd "/" SB[cmd, i]; d = SD[k]; if (d == "") d = DD[k]
            print "            " q esc(SB[cmd, i] ":" cdesc(d)) q
        }
        print "        )"
        print "        _describe -t subcommands " q esc(cmd " subcommand") q " subs && ret=0"
        print "        ;;"
        print "    args)"
        print "        curcontext=${curcontext%:*}-$words[1]:"
        print "        case $words[1] in"
        for (i = 1; i <= ns[cmd]; i++)
            print "        " SB[cmd, i] ") " fname(cmd "/" SB[cmd, i]) " && ret=0 ;;"
        if (np[cmd]) {
            print "        *)"
            printf "            _arguments -S : \\\n%s", specs(cmd)
            print "                && ret=0"
            print "            ;;"
        }
        print "        esac"
        print "        ;;"
        print "    esac"
        print "    return ret"
        print "}"
    }
    print ""
    print "_netkit() {"
    print "    local curcontext=$curcontext state state_descr line ret=1"
    print "    typeset -A opt_args"
    printf "    _arguments -C -S : \\\n%s", specs("top")
    print "        \0471: :->command\047 \\"
    print "        \047*:: :->args\047 && ret=0"
    print "    case $state in"
    print "    command) _netkit_commands && ret=0 ;;"
    print "    args)"
    print "        curcontext=${curcontext%:*:*}:netkit-$words[1]:"
    print "        case $words[1] in"
    for (c = 1; c <= nc; c++) print "        " C[c] ") " fname(C[c]) " && ret=0 ;;"
    print "        esac"
    print "        ;;"
    print "    esac"
    print "    return ret"
    print "}"
    print ""
    print "_netkit \"$@\""
}' "$DATA" >"$TMP/netkit.zsh" || die "cannot generate the zsh completion"

mv -f "$TMP/netkit.bash" "$OUT/netkit" && mv -f "$TMP/netkit.zsh" "$OUT/_netkit" ||
    die "cannot move the completion files into $OUT"
