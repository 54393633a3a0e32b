#!/bin/sh
# usage: gen-completion.sh NETKIT OUTDIR
#
# Writes OUTDIR/netkit (bash) and OUTDIR/_netkit (zsh) completion for
# netkit, generated from the binary's own help so they cannot drift from
# it: the commands and their summaries from 'netkit help', the subcommands
# from the usage lines of each 'netkit COMMAND --help', and for every
# command and subcommand the options of its --help "options:" section
# (short and long forms, the argument's name, the first line of the
# description) and the operands its usage line names. Paths: an option
# argument named DIR completes directories, FILE or DEST files; a FILE
# operand completes files (DIR, PATH and REMOTE operands are the server's).
# The build runs it (target 'completion'). POSIX sh and POSIX awk only.
# Fails with a message when the help cannot be parsed; the files are
# replaced only once both are complete (written aside, then mv).

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

# --- parsing one help text ---------------------------------------------
# Input: a help text. Variables: mode (top, cmd or sub), cmd, subc, key.
# Output records, tab-separated:
#   C name summary            a command (mode top)
#   T topic description       a 'netkit help TOPIC' (mode top)
#   S cmd sub description     a subcommand (mode cmd)
#   D key description         the first line of a subcommand's text
#   O key shorts longs arg kind repeat description
#                             an option; kind: dir, file, choice or none
#   P key index name optional rest
#                             an operand of the usage line
#   E message                 a parse error
PARSE='
function trim(s) { sub(/^[ ]+/, "", s); sub(/[ ]+$/, "", s); return s }
# the first line of a description, without a dangling "(..." or comma
function clip(s,    o, c, t) {
    t = s; o = gsub(/\(/, "(", t); c = gsub(/\)/, ")", t)
    if (o > c && match(s, /\([^()]*$/)) s = substr(s, 1, RSTART - 1)
    s = trim(s); sub(/[ ]*[,;:]$/, "", s)
    return s
}
function lead(s) { match(s, /[^ ]/); return RSTART ? RSTART - 1 : length(s) }
function isopt(s) { return s ~ /^  -[A-Za-z0-9?]/ || s ~ /^      --[A-Za-z0-9]/ }
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
# Sets SH, LO (space-separated names), ARG and DESC from an option line
# such as "  -p, --port P     text", "      --raw  text", "  -4, -6  text".
function parsespec(s,    name, t, tok, after) {
    SH = ""; LO = ""; ARG = ""
    s = trim(s)
    while (1) {
        if (match(s, /^--[A-Za-z0-9][A-Za-z0-9-]*/)) {
            name = substr(s, 1, RLENGTH); LO = LO (LO == "" ? "" : " ") name
        } else if (match(s, /^-[A-Za-z0-9?]/)) {
            name = substr(s, 1, RLENGTH); SH = SH (SH == "" ? "" : " ") name
        } else break
        s = substr(s, RLENGTH + 1)
        if (s ~ /^=[^ ,]/) {            # --name=ARG
            t = substr(s, 2); match(t, /^[^ ,]+/)
            ARG = substr(t, 1, RLENGTH); s = substr(t, RLENGTH + 1)
        } else if (s ~ /^ [^ ,-]/) {    # --name ARG, followed by 2 spaces,
            t = substr(s, 2)            # a comma or the end of the line
            match(t, /^[^ ,]+/)
            tok = substr(t, 1, RLENGTH); after = substr(t, RLENGTH + 1)
            if (after == "" || after ~ /^,/ || after ~ /^  /) {
                ARG = tok; s = after
            }
        }
        if (s ~ /^, *-/) { sub(/^, */, "", s); continue }
        break
    }
    DESC = trim(s)
}
function argkind(a) {
    if (a ~ /^(DIR|DIRECTORY)(\||$)/) return "dir"
    if (a ~ /^(FILE|DEST)(\||$)/) return "file"
    if (a ~ /^[a-z0-9][a-z0-9-]*(\|[a-z0-9][a-z0-9-]*)+$/) return "choice"
    return "none"
}
# Options: the "options:" section, or (a help without that header) every
# option line outside the usage and examples blocks.
function options(from, to,    i, j, d, full, rep, insec) {
    insec = 0
    for (i = from; i <= to; i++) {
        if (L[i] ~ /^[a-z][a-z -]*:[ ]*$/) { insec = (L[i] ~ /^examples:/) ; continue }
        if (insec || !isopt(L[i])) continue
        parsespec(L[i])
        d = DESC; full = DESC
        for (j = i + 1; j <= to && L[j] != "" && !isopt(L[j]) && lead(L[j]) > 2; j++) {
            if (d == "") d = trim(L[j])
            full = full " " trim(L[j])
        }
        rep = (full ~ /may be repeated|repeatable/) ? 1 : 0
        print "O\t" key "\t" SH "\t" LO "\t" ARG "\t" argkind(ARG) "\t" rep "\t" clip(d)
        nopt++
    }
}
# Operands of usage form f, from token index start on.
function operands(f, start,    nt, j, t, inner, na, k, A, rest, optional, npos) {
    split("", T)
    nt = tokenize(F[f]); npos = 0
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
{ gsub(/\t/, " "); gsub(/\r/, ""); L[++n] = $0 }
END {
    u = 0
    for (i = 1; i <= n; i++) if (L[i] ~ /^usage:/) { u = i; break }
    if (!u && mode != "top") { print "E\tno usage: line"; exit }
    ue = u
    while (ue < n && L[ue + 1] != "") ue++
    nf = 0
    for (i = u; i <= ue; i++) {
        s = L[i]; if (i == u) sub(/^usage:/, "", s)
        s = trim(s)
        if (s ~ /^netkit( |$)/) F[++nf] = s
        else if (nf) F[nf] = F[nf] " " s
    }
    nopt = 0
    if (mode == "top") {
        for (i = 1; i <= n; i++) if (L[i] ~ /^commands:/) break
        for (i++; i <= n && L[i] != ""; i++)
            if (L[i] ~ /^  [a-z][a-z0-9-]*  +[^ ]/) {
                s = trim(L[i]); name = s; sub(/ .*/, "", name)
                sub(/^[^ ]+ +/, "", s)
                print "C\t" name "\t" s
            }
        # topics: the lines naming "netkit help WORD" with a lowercase WORD
        for (i = 1; i <= n; i++) {
            s = L[i]; p = "netkit help "
            while ((k = index(s, q p)) > 0) {
                s = substr(s, k + 1 + length(p))
                if (match(s, /^[a-z][a-z0-9-]*/) && substr(s, RLENGTH + 1, 1) == q) {
                    name = substr(s, 1, RLENGTH); d = substr(s, RLENGTH + 2)
                    sub(/^ +/, "", d); sub(/\.$/, "", d)
                    print "T\t" name "\t" d
                }
            }
        }
        options(ue + 1, n)
        if (nopt == 0) {        # no options section: the usage brackets
            split("", T)
            nt = tokenize(F[1])
            for (j = 2; j <= nt; j++) {
                if (T[j] !~ /^\[-/) continue
                inner = T[j]; sub(/^\[/, "", inner); sub(/\]$/, "", inner)
                na = split(inner, A, "|")
                for (k = 1; k <= na; k++) {
                    parsespec(trim(A[k]) "  ")
                    if (SH LO != "")
                        print "O\t" key "\t" SH "\t" LO "\t" ARG "\t" argkind(ARG) "\t0\t"
                }
            }
        }
        exit
    }
    # The usage forms: "netkit CMD a|b|c ...", "netkit CMD sub ...",
    # "netkit CMD [sub] ..." (an optional subcommand, when others exist).
    nsub = 0; plain = 0; cand = ""
    for (f = 1; f <= nf; f++) {
        split("", T)
        nt = tokenize(F[f])
        if (T[2] != cmd) continue
        t = T[3]; FS_[f] = ""
        if (t ~ /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)+$/) {
            na = split(t, A, "|")
            for (k = 1; k <= na; k++) if (!(A[k] in SUB)) { SUB[A[k]] = f; SL[++nsub] = A[k] }
            FS_[f] = "*"
        } else if (t ~ /^[a-z][a-z0-9-]*$/) {
            if (!(t in SUB)) { SUB[t] = f; SL[++nsub] = t }
            FS_[f] = t
        } else if (t ~ /^\[[a-z][a-z0-9-]*\]$/) {
            cand = substr(t, 2, length(t) - 2); FS_[f] = "?"
            if (!plain) plain = f
        } else if (!plain) plain = f
    }
    if (cand != "" && nsub > 0 && !(cand in SUB)) { SUB[cand] = 0; SL[++nsub] = cand }
    if (mode == "cmd") {
        for (k = 1; k <= nsub; k++) {
            d = ""
            for (i = ue + 1; i <= n && d == ""; i++) {
                if (L[i] ~ ("^  " SL[k] "  +[^ ]")) { d = L[i]; sub(/^ +[^ ]+ +/, "", d) }
                else if (L[i] ~ ("^" SL[k] "( \\([^)]*\\))?: ")) { d = L[i]; sub(/^[^:]*: /, "", d) }
            }
            print "S\t" cmd "\t" SL[k] "\t" clip(d)
        }
        for (i = 1; i <= n; i++) if (index(L[i], "SUBCOMMAND --help")) break
        if (nsub == 0 && i <= n)
            print "E\tmentions subcommands but none were found in its usage"
        if (plain) operands(plain, FS_[plain] == "?" ? 4 : 3)
    } else {
        for (f = 1; f <= nf; f++) {
            split("", T)
            nt = tokenize(F[f])
            if (T[2] == cmd && (T[3] == subc || T[3] == "[" subc "]" || index("|" T[3] "|", "|" subc "|"))) {
                operands(f, 4); break
            }
        }
        for (i = ue + 1; i <= n && L[i] == ""; i++) ;
        d = trim(L[i]); k = index(d, ". "); if (k) d = substr(d, 1, k)
        print "D\t" key "\t" clip(d)
    }
    for (i = ue + 1; i <= n; i++) if (L[i] ~ /^options:[ ]*$/) break
    if (i <= n) {
        for (j = i + 1; j <= n && L[j] != "" && L[j] ~ /^ /; j++) ;
        options(i + 1, j - 1)
    } else options(ue + 1, n)
    if (nopt == 0) print "E\tno options found"
}
'

DATA=$TMP/data
: >"$DATA"

# parse MODE CMD SUB KEY: runs netkit's help for it and parses it.
parse() {
    if [ "$1" = top ]; then
        set -- "$@" help
    elif [ "$1" = cmd ]; then
        set -- "$@" "$2" --help
    else
        set -- "$@" "$2" "$3" --help
    fi
    mode=$1 p_c=$2 p_s=$3 key=$4
    shift 4
    "$NK" "$@" >"$TMP/help" 2>"$TMP/err" ||
        die "'netkit $*' failed (status $?): $(head -c 300 "$TMP/err")"
    awk -v mode="$mode" -v cmd="$p_c" -v subc="$p_s" -v key="$key" -v q="'" \
        "$PARSE" "$TMP/help" >"$TMP/rec" || die "awk failed on 'netkit $*'"
    if grep '^E' "$TMP/rec" >"$TMP/errs"; then
        die "'netkit $*': $(cut -f2 "$TMP/errs" | head -n 1)"
    fi
    cat "$TMP/rec" >>"$DATA"
}

parse top "" "" top
cmds=$(awk -F'\t' '$1 == "C" { print $2 }' "$DATA")
[ -n "$cmds" ] || die "no commands found in the \"commands:\" section of '$NK help'"
for c in $cmds; do
    parse cmd "$c" "" "$c"
done
awk -F'\t' '$1 == "S" { print $2 " " $3 }' "$DATA" >"$TMP/subs"
while read -r c s; do
    parse sub "$c" "$s" "$c/$s"
done <"$TMP/subs"
awk -F'\t' '$1 == "O" && $4 != ""' "$DATA" | grep -q . ||
    die "no long options found in any --help of $NK"

# --- bash ----------------------------------------------------------------
{
    cat <<'EOF'
# bash completion for netkit                              -*- shell-script -*-
# Generated by scripts/gen-completion.sh from 'netkit help' and every
# 'netkit COMMAND [SUBCOMMAND] --help'; do not edit.

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
    print "# \047netkit help\047 and every \047netkit COMMAND [SUBCOMMAND] --help\047; do not edit."
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
