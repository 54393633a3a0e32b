#!/usr/bin/env bash
# Shell completion: the bash and zsh files the build generates from
# netkit's option tables ('netkit help --spec', scripts/gen-completion.sh,
# into BUILD/completion). What each completion must offer is computed here
# from the --help texts with grep and sed, independently of the tables'
# records, so a table the generator misreads fails here.
. "$(dirname "$0")/lib.sh" "$@"

COMPDIR=$(cd "$(dirname "$NK")" && pwd)/completion
GEN=$(cd "$(dirname "$0")/../.." && pwd)/scripts/gen-completion.sh
BASHF=$COMPDIR/netkit
ZSHF=$COMPDIR/_netkit

# sorted, one line: the words of $1 (any whitespace), duplicates removed
norm() { printf '%s\n' $1 | sed '/^$/d' | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'; }

# --- what the help texts list ---------------------------------------------
# commands: the "commands:" section of 'netkit help'
COMMANDS=$("$NK" help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\)  .*/\1/p')
# help topics: the 'netkit help WORD' a help line names
TOPICS=$("$NK" help | grep -oE "'netkit help [a-z][a-z-]*'" | tr -d "'" | cut -d' ' -f3)
# global options: every --x on the usage line
GLOBALS=$("$NK" help | head -n 1 | grep -oE -- '--[a-z-]+' | sort -u)

# subs CMD: the subcommands its usage block names ("netkit CMD a|b",
# "netkit CMD a", and "netkit CMD [a]" when there are others)
subs() {
    local usage bare opt
    usage=$("$NK" "$1" --help | sed -n '1,/^$/p')
    bare=$(printf '%s\n' "$usage" | grep -oE "netkit $1 [a-z][a-z|-]*( |\$)" |
        cut -d' ' -f3 | tr '|' '\n')
    [ -z "$bare" ] && return
    opt=$(printf '%s\n' "$usage" | grep -oE "netkit $1 \[[a-z][a-z-]*\]" |
        cut -d' ' -f3 | tr -d '[]')
    norm "$bare $opt"
}

# longs CMD [SUB]: the long options of the help's "options:" section (or,
# without that header, of its option lines), from each line's spec part
longs() {
    local text
    text=$("$NK" "$@" --help)
    if printf '%s\n' "$text" | grep -q '^options:'; then
        text=$(printf '%s\n' "$text" | sed -n '/^options:/,/^$/p')
    else
        text=$(printf '%s\n' "$text" | sed '/^examples:/,$d')
    fi
    norm "$(printf '%s\n' "$text" | grep -E '^(  -|      --)' |
        sed -E 's/^ +//; s/  .*//' | grep -oE -- '--[a-z0-9][a-z0-9-]*')"
}

ALL_SUBS=""
for c in $COMMANDS; do
    s=$(subs "$c")
    eval "SUBS_${c//-/_}=\$s"
    for x in $s; do ALL_SUBS="$ALL_SUBS $c/$x"; done
done

# The test's own extraction works: the commands and subcommands the
# issue names are found.
check_contains "test reads the command list" " $(norm "$COMMANDS") " " echo-tcp "
check_eq "test reads echo-tcp's subcommands" "$SUBS_echo_tcp" "bench client serve"
check_eq "test reads fileshare's subcommands" "$SUBS_fileshare" "get list put serve"
check_eq "test reads sntp's subcommands" "$SUBS_sntp" "bench serve"
# (the options this test relies on below; a new option does not fail it)
for o in --bind --help --idle-timeout --json --max-conns --model --port --quiet; do
    check_contains "test reads echo-tcp serve's option $o" " $(longs echo-tcp serve) " " $o "
done

# --- the files ------------------------------------------------------------
if [ -s "$BASHF" ] && [ -s "$ZSHF" ]; then
    nk_ok "build wrote completion/netkit and completion/_netkit"
else
    nk_not_ok "build wrote completion/netkit and completion/_netkit" "in $COMPDIR"
fi
# They are what the generator makes from this binary (not stale).
if sh "$GEN" "$NK" "$NK_TMP/gen" 2>"$NK_TMP/gen.err" &&
    cmp -s "$NK_TMP/gen/netkit" "$BASHF" && cmp -s "$NK_TMP/gen/_netkit" "$ZSHF"; then
    nk_ok "completion files are current (regenerated from $NK: identical)"
else
    nk_not_ok "completion files are current" "$(cat "$NK_TMP/gen.err")"
fi
if nk_have "generator runs under dash" dash; then
    if dash "$GEN" "$NK" "$NK_TMP/gen-dash" 2>"$NK_TMP/dash.err" &&
        cmp -s "$NK_TMP/gen-dash/netkit" "$BASHF" &&
        cmp -s "$NK_TMP/gen-dash/_netkit" "$ZSHF"; then
        nk_ok "generator runs under dash, same output"
    else
        nk_not_ok "generator runs under dash" "$(cat "$NK_TMP/dash.err")"
    fi
fi

# Their text, read without the generator: every command, subcommand and
# long option the help texts list is in both files (the shells' behaviour
# is checked below; this catches a file that lost a command outright).
missing=""
for w in $COMMANDS $(for k in $ALL_SUBS; do echo "${k#*/}"; done) \
    $(for k in $COMMANDS $ALL_SUBS; do echo "$(longs ${k/\// })"; done); do
    grep -qF -- "$w" "$BASHF" || missing="$missing bash:$w"
    grep -qF -- "$w" "$ZSHF" || missing="$missing zsh:$w"
done
check_eq "every command, subcommand and option is in both files" "$missing" ""

# --- bash -----------------------------------------------------------------
# bcomp [--bash-completion] WORD... : COMPREPLY (sorted, one line) for the
# words, the last one being completed ('' for an empty word), in
# bash --norc from $NK_TMP/cwd, with bash-completion loaded if asked.
mkdir -p "$NK_TMP/cwd/dir one" "$NK_TMP/cwd/dir2" && : >"$NK_TMP/cwd/file.txt"
bcomp() {
    local pre=":"
    if [ "$1" = --bash-completion ]; then
        pre=". /usr/share/bash-completion/bash_completion"
        shift
    fi
    (cd "$NK_TMP/cwd" && bash --norc --noprofile -c '
        '"$pre"'
        . "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _netkit netkit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' bcomp "$BASHF" "$@") |
        sed '/^$/d' | LC_ALL=C sort -u | tr '\n' '|' | sed 's/|$//; s/|/ /g'
}

reg=$(bash --norc --noprofile -c '. "$1"; complete -p netkit' x "$BASHF" 2>&1)
check_contains "bash: registered with complete -F" "$reg" "complete -F _netkit netkit"

check_eq "bash: position 1 gives the commands of 'netkit help'" \
    "$(bcomp netkit '')" "$(norm "$COMMANDS")"
check_eq "bash: position 1 after a global option" \
    "$(bcomp netkit --json '')" "$(norm "$COMMANDS")"
check_eq "bash: netkit -- gives the global options" \
    "$(bcomp netkit --)" "$(norm "$GLOBALS")"
check_eq "bash: a prefix filters commands (ec -> echo-*)" \
    "$(bcomp netkit ec)" "echo-tcp echo-udp"
check_eq "bash: help completes commands and topics" \
    "$(bcomp netkit help '')" "$(norm "$COMMANDS $TOPICS")"
check_eq "bash: help e" "$(bcomp netkit help e)" "$(norm "echo-tcp echo-udp $TOPICS" |
    tr ' ' '\n' | grep '^e' | tr '\n' ' ' | sed 's/ $//')"

nsubcmds=0
for c in $COMMANDS; do
    v=SUBS_${c//-/_}
    [ -n "${!v}" ] || continue
    nsubcmds=$((nsubcmds + 1))
    check_eq "bash: netkit $c <TAB> gives its subcommands" "$(bcomp netkit "$c" '')" "${!v}"
done
# (at least the five of the issue, and sockopt's show/reuse/listen)
check_eq "bash: at least 6 commands with subcommands checked" "$((nsubcmds >= 6))" 1

# Every command and subcommand: -- gives exactly its --help's long options.
nkeys=0
for k in $COMMANDS $ALL_SUBS; do
    want=$(longs ${k/\// })
    if [ -z "$want" ]; then
        nk_not_ok "test found long options for $k"
        continue
    fi
    nkeys=$((nkeys + 1))
    check_eq "bash: netkit ${k/\// } -- gives its long options" \
        "$(bcomp netkit ${k/\// } --)" "$want"
done
check_eq "bash: at least 29 commands and subcommands checked ($nkeys)" "$((nkeys >= 29))" 1

check_eq "bash: a prefix filters options (--po -> --port)" \
    "$(bcomp netkit echo-tcp serve --po)" "--port"
check_eq "bash: options after an option's argument" \
    "$(bcomp netkit echo-tcp serve --port 9 --q)" "--quiet"
check_eq "bash: a port argument completes nothing" \
    "$(bcomp netkit echo-tcp serve --port '')" ""
check_eq "bash: fileshare serve --root completes directories" \
    "$(bcomp netkit fileshare serve --root '')" "dir one dir2"
check_eq "bash: fileshare serve -r di" \
    "$(bcomp netkit fileshare serve -r di)" "dir one dir2"
check_eq "bash: --root=<TAB> (bash splits at =)" \
    "$(bcomp netkit fileshare serve --root = '')" "dir one dir2"
check_eq "bash: fileshare put HOST FILE completes files" \
    "$(bcomp netkit fileshare put localhost '')" "dir one dir2 file.txt"
check_eq "bash: fileshare put's REMOTE is not completed" \
    "$(bcomp netkit fileshare put localhost file.txt '')" ""
check_eq "bash: fileshare get -o DEST completes paths" \
    "$(bcomp netkit fileshare get localhost x -o f)" "file.txt"
check_eq "bash: httpget --output FILE completes paths" \
    "$(bcomp netkit httpget --output '')" "dir one dir2 file.txt"
check_eq "bash: an on|off argument completes on and off" \
    "$(bcomp netkit sockopt --nodelay '')" "off on"
check_eq "bash: sockopt reuse -- gives reuse's options only" \
    "$(bcomp netkit sockopt reuse --)" "--help --json --listener-reuseaddr --port"
check_eq "bash: sockopt listen -t is an option taking a value" \
    "$(bcomp netkit sockopt listen -t 1 --c)" "--count"
check_eq "bash: unknown command completes nothing" "$(bcomp netkit nosuch -)" ""

if [ -r /usr/share/bash-completion/bash_completion ]; then
    check_eq "bash + bash-completion: position 1" \
        "$(bcomp --bash-completion netkit '')" "$(norm "$COMMANDS")"
    check_eq "bash + bash-completion: fileshare serve --root" \
        "$(bcomp --bash-completion netkit fileshare serve --root '')" "dir one dir2"
    check_eq "bash + bash-completion: echo-tcp serve --" \
        "$(bcomp --bash-completion netkit echo-tcp serve --)" "$(longs echo-tcp serve)"
    # bash-completion's loader finds the file where it is installed
    mkdir -p "$NK_TMP/bc/completions" && cp "$BASHF" "$NK_TMP/bc/completions/netkit"
    got=$(BASH_COMPLETION_USER_DIR=$NK_TMP/bc bash --norc --noprofile -c '
        . /usr/share/bash-completion/bash_completion
        __load_completion netkit; complete -p netkit' 2>&1)
    check_contains "bash-completion loads it from completions/netkit" "$got" "-F _netkit netkit"
else
    nk_not_ok "bash-completion installed" "scripts/deps.sh installs it"
fi

# --- zsh ------------------------------------------------------------------
if ! nk_have "zsh completion" zsh; then
    :
else
    if zsh -n "$ZSHF" 2>"$NK_TMP/zn.err"; then nk_ok "zsh -n _netkit"; else
        nk_not_ok "zsh -n _netkit" "$(cat "$NK_TMP/zn.err")"; fi
    head -n 1 "$ZSHF" | grep -qx '#compdef netkit' && nk_ok "zsh: #compdef netkit" ||
        nk_not_ok "zsh: first line is #compdef netkit"

    # fpath in a private directory: compinit's security check passes.
    mkdir -p "$NK_TMP/zfunc" && cp "$ZSHF" "$NK_TMP/zfunc/_netkit"
    got=$(HOME=$NK_TMP zsh -f -c 'fpath=("$1" $fpath); autoload -U compinit; compinit -D
        print -r -- $_comps[netkit]' z "$NK_TMP/zfunc" 2>&1)
    check_eq "zsh -f: compinit binds netkit to _netkit" "$got" "_netkit"

    # A real completion: an interactive zsh -f on a pseudo-terminal
    # (zsh/zpty), compadd wrapped to print each match, TAB typed after
    # each line; "end" after each line's matches.
    cat >"$NK_TMP/drive.zsh" <<'EOF'
zmodload zsh/zpty || { print -u2 "no zsh/zpty"; exit 2 }
dir=$1; shift
zpty nkz zsh -f -i || exit 2
zpty -w nkz "PS1='' RPS1=''; unsetopt beep; fpath=(${(q)dir} \$fpath)"
zpty -w nkz 'autoload -U compinit && compinit -D'
zpty -w nkz 'compadd() { if (( ${argv[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi
  local -a nkm; builtin compadd -O nkm "$@"; local w
  for w in $nkm; do print -r -- "NK""MATCH: $w"; done; builtin compadd "$@"; }'
zpty -w nkz 'nk_end() { print -r -- "NK""END"; comppostfuncs=(nk_end); }; comppostfuncs=(nk_end)'
zpty -w nkz "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=100000"
zpty -w nkz 'print NK""READY'
typeset line
integer n=0
while (( n < 100 )); do
    if zpty -r -t nkz line; then [[ $line == *NKREADY* ]] && break
    else sleep 0.05; (( n++ )); fi
done
(( n >= 100 )) && { print "timeout waiting for the shell"; exit 3 }
for req in "$@"; do
    zpty -w -n nkz "$req"$'\t'
    n=0
    while (( n < 100 )); do
        if zpty -r -t nkz line; then
            line=${${line//$'\r'/}%$'\n'}
            [[ $line == *NKEND* ]] && break
            [[ $line == *NKMATCH:* ]] && print -r -- "${line#*NKMATCH: }"
        else
            sleep 0.05; (( n++ ))
        fi
    done
    (( n >= 100 )) && print -r -- "TIMEOUT"
    print -r -- "NKEND"
    zpty -w -n nkz $'\C-u'
done
zpty -d nkz
EOF
    zq=("netkit " "netkit --" "netkit help " "netkit fileshare serve --root "
        "netkit fileshare put localhost " "netkit sockopt --nodelay "
        "netkit echo-tcp serve --po")
    zw=("$(norm "$COMMANDS")" "$(norm "$GLOBALS")" "$(norm "$COMMANDS $TOPICS")"
        "dir one dir2" "dir one dir2 file.txt" "off on" "--port")
    for c in $COMMANDS; do
        v=SUBS_${c//-/_}
        [ -n "${!v}" ] || continue
        zq+=("netkit $c ")
        zw+=("${!v}")
    done
    for k in $COMMANDS $ALL_SUBS; do
        zq+=("netkit ${k/\// } --")
        zw+=("$(longs ${k/\// })")
    done
    (cd "$NK_TMP/cwd" && HOME=$NK_TMP timeout 40 zsh -f "$NK_TMP/drive.zsh" \
        "$NK_TMP/zfunc" "${zq[@]}") >"$NK_TMP/zsh.out" 2>&1
    zrc=$?
    check_eq "zsh: completion driver ran" "$zrc" 0
    # one result line per request, matches space-separated ("dir one" is
    # one match, so join with | first); file names come quoted (dir\ one)
    mapfile -t zgot < <(awk '$0 == "NKEND" { print r; r = ""; next }
        { r = r (r == "" ? "" : "|") $0 }' "$NK_TMP/zsh.out")
    for i in "${!zq[@]}"; do
        got=$(printf '%s\n' "${zgot[i]-}" | tr '|' '\n' |
            sed 's:/$::; s/\\\(.\)/\1/g; /^$/d' |
            LC_ALL=C sort -u | tr '\n' '|' | sed 's/|$//; s/|/ /g')
        check_eq "zsh: '${zq[i]}<TAB>'" "$got" "${zw[i]}"
    done
fi

# --- the generator fails loudly -----------------------------------------
printf '#!/bin/sh\nexit 0\n' >"$NK_TMP/fake-silent"
printf '#!/bin/sh\n[ "$1" = help ] && printf "usage: netkit COMMAND\\n\\ncommands:\\n  foo    a command\\n\\n" && exit 0\nexit 1\n' >"$NK_TMP/fake-nohelp"
chmod +x "$NK_TMP/fake-silent" "$NK_TMP/fake-nohelp"
for fake in fake-silent fake-nohelp; do
    mkdir -p "$NK_TMP/out-$fake"
    echo old >"$NK_TMP/out-$fake/netkit"
    sh "$GEN" "$NK_TMP/$fake" "$NK_TMP/out-$fake" >"$NK_TMP/out" 2>"$NK_TMP/err"
    RC=$?
    check_eq "generator on $fake: fails" "$([ "$RC" -ne 0 ] && echo failed || echo "status 0")" failed
    check_contains "generator on $fake: says why" "$(cat "$NK_TMP/err")" "gen-completion.sh: "
    check_eq "generator on $fake: old file untouched, none added" \
        "$(cat "$NK_TMP/out-$fake/netkit"):$(ls -A "$NK_TMP/out-$fake" | tr '\n' ' ')" "old:netkit "
done
check_contains "generator on a silent binary: no commands" \
    "$(sh "$GEN" "$NK_TMP/fake-silent" "$NK_TMP/x" 2>&1)" "no commands"

nk_done
