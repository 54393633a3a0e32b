#!/usr/bin/env bash
# Every example marked runnable in README.md and docs/lessons.md still
# works exactly as shown.
#
# The convention (also described at the top of docs/lessons.md):
#
#   <!-- runnable -->                     a line right before a fenced
#   ```console                            block; in the block, each line
#   $ netkit byteorder --lesson           starting with "$ " is a command,
#   Original: 1234 => Long ...            the lines up to the next "$ "
#   ```                                   or the fence are its stdout
#
#   <!-- runnable server: netkit echo-tcp serve --bind 127.0.0.1 --port 0 -->
#     the same, with a server started first by the harness (nk_start_server,
#     in the block's scratch directory) and stopped after the block; its
#     port is in $PORT for the commands. The server line is split on
#     spaces (no quoting); its leading "netkit" is the binary under test.
#
# Each command runs with bash -c in a fresh scratch directory per block
# (shared by the block's commands, in order), stdin from /dev/null,
# LC_ALL=C, NO_COLOR=1, at most 15 s, and "netkit" on PATH meaning the
# binary under test (so pipes such as `netkit ... | jq .x` work). Its
# stdout must equal the shown lines exactly, except for two wildcards:
#   a line "..."        matches any number of lines (none included)
#   "<any>" in a line   matches any characters (none included)
# stderr is not compared (write 2>&1 to show it), and the exit status must
# be 0 (write `; echo "exit: $?"` to show a failing one). The server must
# stop with status 0 on SIGTERM.
. "$(dirname "$0")/lib.sh" "$@"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# Fewer blocks than this means the marker parser (or the docs) broke.
declare -A MIN_BLOCKS=([README.md]=4 [docs/lessons.md]=43)
start=$SECONDS

# the binary by absolute path: commands and servers run in scratch dirs
NK_ABS="$(cd "$(dirname "$NK")" && pwd)/$(basename "$NK")"
NK_BIN="$NK_TMP/bin"
mkdir -p "$NK_BIN"
ln -s "$NK_ABS" "$NK_BIN/netkit"

# match.awk EXPECTED GOT: exit 0 when GOT's lines match EXPECTED's
# (with the wildcards above), 1 when not.
cat >"$NK_TMP/match.awk" <<'EOF'
function linematch(pat, s,    n, parts, i, p, last) {
    if (index(pat, "<any>") == 0)
        return pat == s
    n = split(pat, parts, "<any>")
    if (substr(s, 1, length(parts[1])) != parts[1])
        return 0
    s = substr(s, length(parts[1]) + 1)
    for (i = 2; i < n; i++) {
        p = index(s, parts[i])
        if (p == 0)
            return 0
        s = substr(s, p + length(parts[i]))
    }
    last = parts[n]
    return length(s) >= length(last) &&
        substr(s, length(s) - length(last) + 1) == last
}
FNR == 1 { f++ }
f == 1 { e[++m] = $0 }
f == 2 { g[++n] = $0 }
END {
    # ok[i, j]: expected lines i.. match got lines j..
    for (j = n + 1; j >= 1; j--)
        ok[m + 1, j] = (j == n + 1)
    for (i = m; i >= 1; i--)
        for (j = n + 1; j >= 1; j--) {
            if (e[i] == "...")
                ok[i, j] = ok[i + 1, j] || (j <= n && ok[i, j + 1])
            else
                ok[i, j] = j <= n && linematch(e[i], g[j]) && ok[i + 1, j + 1]
        }
    exit ok[1, 1] ? 0 : 1
}
EOF

# matches EXPECTED_TEXT GOT_TEXT
matches() {
    printf '%s' "$1" >"$NK_TMP/m.exp"
    printf '%s' "$2" >"$NK_TMP/m.got"
    # awk skips an empty file's FNR == 1: give each a first line to count
    awk -f "$NK_TMP/match.awk" <(printf 'x\n'; cat "$NK_TMP/m.exp") \
        <(printf 'x\n'; cat "$NK_TMP/m.got")
}

# The matcher itself, so a wildcard bug cannot make every example pass.
selftest() {
    local want=$1 name=$2 exp=$3 got=$4
    if matches "$exp" "$got"; then r=match; else r=differ; fi
    check_eq "matcher: $name" "$r" "$want"
}
selftest match "same lines" $'a\nb\n' $'a\nb\n'
selftest differ "one line differs" $'a\nb\n' $'a\nc\n'
selftest differ "a line missing" $'a\nb\n' $'a\n'
selftest differ "a line too many" $'a\n' $'a\nb\n'
selftest match "both empty" '' ''
selftest differ "output where none is shown" '' $'a\n'
selftest match "<any> inside a line" $'port: <any>\n' $'port: 4242\n'
selftest match "<any> matches nothing" $'a<any>b\n' $'ab\n'
selftest differ "<any> keeps the rest strict" $'a <any> c\n' $'a b d\n'
selftest differ "<any> keeps the prefix strict" $'a <any>\n' $'b 1\n'
selftest match "two <any>" $'<any>:<any> ok\n' $'127.0.0.1:80 ok\n'
selftest match "... matches lines" $'a\n...\nz\n' $'a\nb\nc\nz\n'
selftest match "... matches no line" $'a\n...\nz\n' $'a\nz\n'
selftest differ "... keeps the end strict" $'a\n...\nz\n' $'a\nb\ny\n'

nblocks=0
ncmds=0
nblk_total=0

# run_cmd FILE LINE CMD EXPECTED WORKDIR
run_cmd() {
    local file=$1 line=$2 cmd=$3 exp=$4 work=$5 rc got
    ncmds=$((ncmds + 1))
    # Only stdin, stdout and stderr open, as in a terminal (ctest leaves
    # one of its own open): the traces in lessons.md show the first
    # socket as fd 3.
    (cd "$work" && PATH="$NK_BIN:$PATH" LC_ALL=C NO_COLOR=1 \
        timeout --kill-after=2 15 bash -c "$cmd" 3<&- 4<&- 5<&- 6<&- \
        7<&- 8<&- 9<&-) </dev/null >"$NK_TMP/cmd.out" 2>"$NK_TMP/cmd.err"
    rc=$?
    got=$(cat "$NK_TMP/cmd.out"; echo x)
    got=${got%x}
    local name="$file:$line: \$ $cmd"
    if [ "$rc" -ne 0 ]; then
        nk_not_ok "$name" "exit status $rc (shown examples must exit 0)" \
            "stderr: $(head -c 1000 "$NK_TMP/cmd.err")"
        return
    fi
    if matches "$exp" "$got"; then
        nk_ok "$name"
    else
        printf '%s' "$exp" >"$NK_TMP/exp.txt"
        local d
        d=$(diff -u --label "$file:$line (shown)" --label "got" \
            "$NK_TMP/exp.txt" "$NK_TMP/cmd.out" | head -n 60)
        local -a lines
        mapfile -t lines <<<"$d"
        nk_not_ok "$name" \
            "output differs from the one shown (lines with <any>, and ..., are wildcards):" \
            "${lines[@]}" \
            "stderr: $(head -c 500 "$NK_TMP/cmd.err")"
    fi
}

# run_block FILE MARKER_LINE SERVER_CMD (then reads B_TEXT/B_LINENO)
run_block() {
    local file=$1 mline=$2 server=$3 work i n cmd cline exp started=0
    nblocks=$((nblocks + 1))
    nblk_total=$((nblk_total + 1))
    work="$NK_TMP/block$nblk_total"
    mkdir -p "$work"
    unset PORT
    if [ -n "$server" ]; then
        local -a words
        read -r -a words <<<"$server"
        if [ "${words[0]}" != netkit ]; then
            nk_not_ok "$file:$mline: server command must start with netkit" "$server"
            return
        fi
        # in this shell (not a subshell): the harness records the pid
        pushd "$work" >/dev/null || return
        if nk_start_server "block$nblk_total" "$NK_ABS" "${words[@]:1}"; then
            started=1
            export PORT=$SERVER_PORT
        fi
        popd >/dev/null || return
        if [ "$started" -eq 0 ]; then # a failed check already
            echo "    ($file:$mline: $server)"
            return
        fi
    fi
    n=${#B_TEXT[@]}
    i=0
    if [ "$n" -eq 0 ] || [ "${B_TEXT[0]:0:2}" != '$ ' ]; then
        nk_not_ok "$file:$mline: a runnable block must start with a '\$ ' command line"
    fi
    while [ "$i" -lt "$n" ]; do
        if [ "${B_TEXT[$i]:0:2}" != '$ ' ]; then
            i=$((i + 1))
            continue
        fi
        cmd=${B_TEXT[$i]:2}
        cline=${B_LINENO[$i]}
        exp=""
        i=$((i + 1))
        while [ "$i" -lt "$n" ] && [ "${B_TEXT[$i]:0:2}" != '$ ' ]; do
            exp+="${B_TEXT[$i]}"$'\n'
            i=$((i + 1))
        done
        run_cmd "$file" "$cline" "$cmd" "$exp" "$work"
    done
    if [ "$started" -eq 1 ]; then
        nk_stop_server "$SERVER_PID"
        check_eq "$file:$mline: server stopped with status 0 ($server)" "$STOP_STATUS" 0
    fi
}

for file in README.md docs/lessons.md; do
    path="$ROOT/$file"
    if [ ! -f "$path" ]; then
        nk_not_ok "$file exists"
        continue
    fi
    nblocks=0
    mapfile -t L <"$path"
    total=${#L[@]}
    k=0
    while [ "$k" -lt "$total" ]; do
        line=${L[$k]}
        k=$((k + 1))
        case "$line" in
        '<!-- runnable'*) ;;
        *) continue ;;
        esac
        mline=$k
        server=""
        if [ "$line" == '<!-- runnable -->' ]; then
            :
        elif [[ "$line" =~ ^'<!-- runnable server: '(.+)' -->'$ ]]; then
            server=${BASH_REMATCH[1]}
        else
            nk_not_ok "$file:$mline: malformed marker" "$line"
            continue
        fi
        if [ "$k" -ge "$total" ] || [[ ! "${L[$k]}" =~ ^\`\`\` ]]; then
            nk_not_ok "$file:$mline: the marker must be followed by a \`\`\` fence"
            continue
        fi
        k=$((k + 1))
        B_TEXT=()
        B_LINENO=()
        closed=0
        while [ "$k" -lt "$total" ]; do
            if [ "${L[$k]}" == '```' ]; then
                closed=1
                k=$((k + 1))
                break
            fi
            B_TEXT+=("${L[$k]}")
            B_LINENO+=($((k + 1)))
            k=$((k + 1))
        done
        if [ "$closed" -eq 0 ]; then
            nk_not_ok "$file:$mline: fenced block never closed"
            continue
        fi
        run_block "$file" "$mline" "$server"
    done
    min=${MIN_BLOCKS[$file]}
    if [ "$nblocks" -ge "$min" ]; then
        nk_ok "$file: $nblocks runnable blocks (at least $min)"
    else
        nk_not_ok "$file: $nblocks runnable blocks, fewer than $min" \
            "the marker parser or the docs lost examples"
    fi
done
echo "# $nblk_total blocks, $ncmds commands, $((SECONDS - start)) s"
nk_done
