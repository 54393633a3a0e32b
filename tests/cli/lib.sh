# Shared by tests/cli/test_*.sh: assertions, a pass/fail summary, and the
# integration harness that starts a server on an ephemeral loopback port,
# waits until it is ready, and always stops it, even when a test fails.
#
# usage in a test: source lib.sh "$@"   (with $1 = netkit, $2 = helper)

set -u
NK=${1:?path to netkit}
NK_HELPER_SERVER=${2:-}
NK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nk_cli.XXXXXX")
NK_PIDS=()
nk_pass=0
nk_fail=0
nk_skips=0        # skips CI must not have: a tool, root, IPv6 missing
nk_skips_kernel=0 # skips no CI could prevent: the kernel or machine decides

# Servers are stopped on every way out of the script. Each one also runs
# under timeout(1), so even a SIGKILLed test cannot leave one behind.
nk_cleanup() {
    local pid
    for pid in "${NK_PIDS[@]}"; do
        nk_stop_server "$pid" >/dev/null 2>&1
    done
    rm -rf "$NK_TMP"
}
trap nk_cleanup EXIT
trap 'exit 130' INT TERM

nk_ok() {
    nk_pass=$((nk_pass + 1))
    echo "ok - $1"
}

nk_not_ok() {
    nk_fail=$((nk_fail + 1))
    echo "not ok - $1"
    shift
    local line
    for line in "$@"; do echo "    $line"; done
    # The mutation runner only needs to know that a check failed: stop at
    # the first one (the EXIT trap still stops every server).
    if [ -n "${NK_FAIL_FAST:-}" ]; then
        echo "# NK_FAIL_FAST: stopping at the first failed check"
        exit 1
    fi
}

# A skipped check is printed as TAP's "ok - NAME # SKIP why", never as a
# pass, and makes the script exit 77 (ctest: "Skipped", SKIP_RETURN_CODE in
# tests/CMakeLists.txt).
# nk_skip NAME WHY: what the check needs is missing here, and CI provides it
# (root, scripts/deps.sh's packages, IPv6 loopback): under CI (CI set, not
# "false" or "0") nk_done turns any such skip into a failure.
nk_skip() {
    nk_skips=$((nk_skips + 1))
    echo "ok - $1 # SKIP $2"
}

# nk_skip_kernel NAME WHY: the check cannot apply on this kernel or machine
# (an unsynchronised clock, a kernel without a feature), whatever CI
# installs. Still printed and still exit 77, but never a failure in CI.
nk_skip_kernel() {
    nk_skips_kernel=$((nk_skips_kernel + 1))
    echo "ok - $1 # SKIP (kernel) $2"
}

# nk_have NAME TOOL...: true when every TOOL is on PATH; otherwise the
# check NAME is skipped (nk_skip) naming what is missing, and false.
nk_have() {
    local name=$1 t missing=""
    shift
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
    done
    [ -z "$missing" ] && return 0
    nk_skip "$name" "not installed:$missing (scripts/deps.sh installs it)"
    return 1
}

nk_ci() {
    case ${CI:-} in "" | false | 0) return 1 ;; esac
    return 0
}

# check_eq NAME GOT WANT
check_eq() {
    if [ "$2" == "$3" ]; then nk_ok "$1"; else
        nk_not_ok "$1" "got:  $2" "want: $3"; fi
}

# check_contains NAME HAYSTACK NEEDLE
check_contains() {
    case "$2" in
    *"$3"*) nk_ok "$1" ;;
    *) nk_not_ok "$1" "missing: $3" "in: $(printf '%s' "$2" | head -c 2000)" ;;
    esac
}

# run_nk ARGS...: runs netkit; sets OUT, ERR and RC.
run_nk() {
    "$NK" "$@" >"$NK_TMP/out" 2>"$NK_TMP/err"
    RC=$?
    OUT=$(cat "$NK_TMP/out")
    ERR=$(cat "$NK_TMP/err")
}

# check_json NAME TEXT: the text parses as one JSON document with jq and
# with python's parser (skipped, visibly, without python3).
check_json() {
    if ! printf '%s' "$2" | jq -e . >/dev/null 2>"$NK_TMP/jq.err"; then
        nk_not_ok "$1" "jq: $(cat "$NK_TMP/jq.err")"
        return
    fi
    if ! command -v python3 >/dev/null; then
        nk_skip "$1" "python3 not installed: only jq parsed it"
        return
    fi
    if ! printf '%s' "$2" | python3 -m json.tool >/dev/null 2>&1; then
        nk_not_ok "$1" "python3 -m json.tool refused it"
        return
    fi
    nk_ok "$1"
}

# nk_start_server NAME CMD [ARGS...]
# Starts CMD in the background, its stderr in $NK_TMP/NAME.err. Waits (at
# most 10 s) for the line every netkit server prints once it is bound,
# "... listening on ADDR", then sets SERVER_PID, SERVER_ADDR ("[::1]:4242"
# or "127.0.0.1:4242") and SERVER_PORT. A server that never gets ready is
# a failed check ("not ok - server NAME ready", with its stderr), and the
# function returns 1, so the caller can leave out the checks that need it:
# they are never silently lost.
nk_start_server() {
    nk_try_start_server "$@" && return 0
    nk_not_ok "server $1 ready" "$NK_START_WHY"
    return 1
}

# nk_try_start_server NAME CMD [ARGS...]: the same without the check, for
# the one test that expects a server never to get ready (test_harness.sh).
# The reason it failed is in NK_START_WHY.
nk_try_start_server() {
    local name=$1 log i line
    NK_START_WHY=""
    shift
    log="$NK_TMP/$name.err"
    : >"$log"
    timeout --kill-after=5 300 "$@" >"$NK_TMP/$name.out" 2>"$log" &
    SERVER_PID=$!
    NK_PIDS+=("$SERVER_PID")
    for i in $(seq 1 200); do
        line=$(grep -m1 'listening on ' "$log" 2>/dev/null)
        if [ -n "$line" ]; then
            SERVER_ADDR=${line##*listening on }
            SERVER_PORT=${SERVER_ADDR##*:}
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null
            NK_START_WHY="exited early (status $?): $(head -c 2000 "$log")"
            return 1
        fi
        sleep 0.05
    done
    NK_START_WHY="not ready after 10 s: $(head -c 2000 "$log")"
    return 1
}

# nk_stop_server PID: SIGTERM, wait up to 5 s, then SIGKILL. Sets
# STOP_STATUS to the exit status (143 for an unhandled SIGTERM, 137 after
# SIGKILL). Call it directly, not in $(...): only this shell can wait for
# its own children.
nk_stop_server() {
    local pid=$1 i server d desc
    # Every process below the wrapper, taken before any signal: a wrapper
    # such as strace, when signalled, lets its child go on running alone
    # (it detaches), and nothing would stop that child afterwards.
    desc=$(nk_descendants "$pid")
    # Signal the server itself, as a user would, not the timeout(1) that
    # wraps it: timeout would pass the signal on to the whole process group
    # and the server would get it twice.
    server=$(pgrep -P "$pid" | head -n 1)
    kill -TERM "${server:-$pid}" 2>/dev/null
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    STOP_STATUS=$?
    for d in $desc; do kill -KILL "$d" 2>/dev/null; done
}

# nk_descendants PID: the pids below PID, children first.
nk_descendants() {
    local c
    for c in $(pgrep -P "$1"); do
        echo "$c"
        nk_descendants "$c"
    done
}

# The summary line CI reads, and the script's status: 1 if a check failed
# (under CI, a skip CI should have prevented counts as one), else 77 if a
# check was skipped, else 0. Call it last: the script exits with it.
nk_done() {
    local skipped=$((nk_skips + nk_skips_kernel))
    if [ "$nk_skips" -gt 0 ] && nk_ci; then
        nk_not_ok "no skips in CI" "CI=$CI: $nk_skips check(s) skipped for want of what CI provides (root, scripts/deps.sh)"
    fi
    if [ "$skipped" -gt 0 ]; then
        echo "$nk_pass passed, $nk_fail failed, $skipped skipped ($nk_skips_kernel for the kernel or machine)"
    else
        echo "$nk_pass passed, $nk_fail failed"
    fi
    [ "$nk_fail" -eq 0 ] || return 1
    [ "$skipped" -eq 0 ] || return 77
    return 0
}
