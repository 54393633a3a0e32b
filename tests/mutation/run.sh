#!/usr/bin/env bash
# Mutation runner: every promise has a test that breaks when it breaks.
#
# Applies each one-line mutation listed in tests/mutation/*.mut (format:
# tests/mutation/README.md) to a scratch copy of the tree, rebuilds
# incrementally, runs the ctest tests the record names, and expects them to
# FAIL. Before any mutation, every distinct test pattern is run once on
# the clean copy: it must pass there, or "caught" would mean nothing.
#
# usage: tests/mutation/run.sh [--check] [--head] [--only REGEX] [FILE.mut...]
#   FILE.mut...   the lists to run (default: tests/mutation/*.mut)
#   --head        mutate the last commit (git archive HEAD), not the working
#                 tree (whose files others may be editing right now)
#   --only REGEX  only the records whose id matches REGEX (grep -E)
#   --check       only check the records (keys, file, `find` exactly once);
#                 no build, no tests
# environment:
#   NK_MUT_DIR      scratch directory (default: a fresh mktemp -d, removed
#                   at the end; an existing one is reused, which keeps the
#                   build incremental between runs)
#   NK_MUT_TIMEOUT  seconds for one mutation's ctest run (default 600); a
#                   run cut short counts as caught (a hang is a failure)
#   NK_MUT_JOBS     ctest -j (default: nproc)
# A mutated tree's tests run with NK_FAIL_FAST=1: a CLI script (lib.sh) or
# the lessons runner stops at its first failed check, which is all a
# mutation needs to be caught; the clean tree's run checks everything.
#
# Prints one line per mutation, "ok - ID: caught (...)" or "not ok - ID:
# NOT CAUGHT / ERROR ...", then "N passed, N failed" (passed = caught).
# Exits 0 only when every mutation was caught; 1 when one was not caught,
# or its record is broken (a key missing, `find` not in its file exactly
# once, the mutated tree does not build, its pattern names no test); 2
# when the clean tree fails its tests or cannot be built.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2

# bash reads a script as it runs: run from a private copy, so an edit of
# this file during a long run cannot change the lines still to come.
if [ -z "${NK_MUT_SELF:-}" ]; then
    self=$(mktemp "${TMPDIR:-/tmp}/nk_mut_run.XXXXXX") || exit 2
    cp "$0" "$self" || exit 2
    NK_MUT_SELF=$self NK_MUT_ROOT=$ROOT bash "$self" "$@"
    rc=$?
    rm -f "$self"
    exit $rc
fi
ROOT=${NK_MUT_ROOT:-$ROOT}
cd "$ROOT" || exit 2

check_only=0
head=0
only=""
files=()
while [ $# -gt 0 ]; do
    case $1 in
    --check) check_only=1 ;;
    --head) head=1 ;;
    --only) only=${2:?--only needs a regex}; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1") ;;
    esac
    shift
done
[ ${#files[@]} -gt 0 ] || files=(tests/mutation/*.mut)

# ---- the records -----------------------------------------------------------
# Parsed into parallel arrays; R_ERR holds what is wrong with a record.
R_ID=() R_FILE=() R_FIND=() R_REPL=() R_TESTS=() R_WHY=() R_WHERE=() R_ERR=()
rec_reset() { id="" file="" find="" repl="" tests="" why="" has_find=0 has_repl=0 where=""; }
rec_end() {
    [ -n "$where" ] || return 0
    local err=""
    [ -n "$id" ] || err="$err no id;"
    [ -n "$file" ] || err="$err no file;"
    [ "$has_find" = 1 ] && [ -n "$find" ] || err="$err no find;"
    [ "$has_repl" = 1 ] || err="$err no replace;"
    [ -n "$tests" ] || err="$err no tests;"
    [ "$find" != "$repl" ] || err="$err replace equals find;"
    if [ -n "$only" ] && ! printf '%s\n' "$id" | grep -Eq -- "$only"; then
        rec_reset
        return 0
    fi
    R_ID+=("${id:-?}") R_FILE+=("$file") R_FIND+=("$find") R_REPL+=("$repl")
    R_TESTS+=("$tests") R_WHY+=("$why") R_WHERE+=("$where") R_ERR+=("${err# }")
    rec_reset
}
parse() { # parse FILE
    local line n=0 key val
    rec_reset
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        case $line in
        "#"*) continue ;;
        "" | *[!\ \	]*) ;;
        *) line="" ;; # blanks only: a separator
        esac
        if [ -z "$line" ]; then rec_end; continue; fi
        [ -n "$where" ] || where="$1:$n"
        case $line in
        *": "*) key=${line%%: *} val=${line#*: } ;;
        *:) key=${line%:} val="" ;;
        *) key="" ;;
        esac
        case $key in
        id) id=$val ;;
        file) file=$val ;;
        find) find=$val has_find=1 ;;
        replace) repl=$val has_repl=1 ;;
        tests) tests=$val ;;
        why) why=$val ;;
        *) R_ID+=("?") R_FILE+=("") R_FIND+=("") R_REPL+=("") R_TESTS+=("")
           R_WHY+=("") R_WHERE+=("$1:$n") R_ERR+=("not a 'key: value' line: $line") ;;
        esac
    done <"$1"
    rec_end
}
for f in "${files[@]}"; do
    if [ -r "$f" ]; then parse "$f"; else echo "run.sh: cannot read $f" >&2; exit 2; fi
done
nrec=${#R_ID[@]}
# duplicate ids
dups=$(printf '%s\n' "${R_ID[@]}" | sort | uniq -d | grep -v '^?$')
for ((i = 0; i < nrec; i++)); do
    if [ -n "$dups" ] && grep -qxF -- "${R_ID[i]}" <<<"$dups"; then
        R_ERR[i]="${R_ERR[i]} id used twice;"
    fi
done
echo "# $nrec mutation(s) from ${files[*]}"
[ "$nrec" -gt 0 ] || { echo "0 passed, 0 failed"; exit 0; }

# count_find FILE FIND: how many times FIND occurs in FILE (python3: exact
# text, not a regex, occurrences rather than lines)
count_find() {
    python3 -c 'import sys
print(open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().count(sys.argv[2]))' "$1" "$2"
}
# mutate FILE FIND REPLACE: replace the one occurrence in place
mutate() {
    python3 -c 'import sys
p, a, b = sys.argv[1:4]
s = open(p, encoding="utf-8", errors="surrogateescape").read()
assert s.count(a) == 1
open(p, "w", encoding="utf-8", errors="surrogateescape").write(s.replace(a, b))' "$1" "$2" "$3"
}

pass=0 fail=0
report_fail() { fail=$((fail + 1)); echo "not ok - $1"; shift; local l; for l in "$@"; do echo "    $l"; done; }

# record_ok DIR I: the record is well formed and its find is in DIR's file
# exactly once; reports and returns 1 otherwise.
record_ok() {
    local dir=$1 i=$2 n
    if [ -n "${R_ERR[i]}" ]; then
        report_fail "${R_ID[i]}: ERROR broken record (${R_WHERE[i]}): ${R_ERR[i]}"
        return 1
    fi
    if [ ! -f "$dir/${R_FILE[i]}" ]; then
        report_fail "${R_ID[i]}: ERROR no file ${R_FILE[i]} (${R_WHERE[i]})"
        return 1
    fi
    n=$(count_find "$dir/${R_FILE[i]}" "${R_FIND[i]}")
    if [ "$n" != 1 ]; then
        report_fail "${R_ID[i]}: ERROR find text occurs $n times in ${R_FILE[i]}, not once (${R_WHERE[i]})" \
            "find: ${R_FIND[i]}"
        return 1
    fi
    return 0
}

if [ "$check_only" = 1 ]; then
    for ((i = 0; i < nrec; i++)); do
        record_ok "$ROOT" "$i" && { pass=$((pass + 1)); echo "ok - ${R_ID[i]}: record well formed, find occurs once"; }
    done
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
fi

# ---- the scratch tree --------------------------------------------------------
if [ -n "${NK_MUT_DIR:-}" ]; then
    SCRATCH=$NK_MUT_DIR
    mkdir -p "$SCRATCH" || exit 2
else
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/nk_mutation.XXXXXX") || exit 2
fi
SRC=$SCRATCH/src
BUILD=$SCRATCH/build
LOG=$SCRATCH/log
mkdir -p "$SRC" "$LOG"
cleanup() {
    # a mutation interrupted mid-way: put its file back (the scratch copy
    # only; the real tree is never written)
    [ -n "${SAVED:-}" ] && [ -f "$SAVED" ] && cp -p "$SAVED" "$SRC/$CUR_FILE"
    [ -z "${NK_MUT_DIR:-}" ] && rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The working tree's version of every file git knows or would add (not
# ignored: no build directories), mtimes kept so rebuilds stay incremental.
if [ "$head" = 1 ]; then
    echo "# scratch copy of HEAD ($(git rev-parse --short HEAD)) in $SRC"
    # unchanged files keep their mtimes across runs: extract to the side,
    # copy over only what differs
    rm -rf "$SCRATCH/head" && mkdir -p "$SCRATCH/head"
    git archive HEAD | tar -xf - -C "$SCRATCH/head" &&
        (cd "$SCRATCH/head" && find . -type f -print0) |
        while IFS= read -r -d '' f; do
            cmp -s "$SCRATCH/head/$f" "$SRC/$f" ||
                { mkdir -p "$(dirname "$SRC/$f")" && cp -p "$SCRATCH/head/$f" "$SRC/$f"; }
        done || { echo "run.sh: copying HEAD failed" >&2; exit 2; }
else
    echo "# scratch copy of the working tree in $SRC"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xpf - -C "$SRC" || { echo "run.sh: copying the tree failed" >&2; exit 2; }
fi

# Files mutated by a run that did not finish its final clean build: the
# copy above gave them their old mtimes back, so touch them, or the build
# would keep the mutated objects.
if [ -f "$LOG/mutated" ]; then
    while IFS= read -r f; do [ -f "$SRC/$f" ] && touch "$SRC/$f"; done <"$LOG/mutated"
fi

JOBS=${NK_MUT_JOBS:-$(nproc 2>/dev/null || echo 2)}
TMO=${NK_MUT_TIMEOUT:-600}
# Warnings do not stop the build (a mutation may well make one); one that
# does not compile is a broken record, reported as an error.
echo "# configure and build (Release, no sanitizers)"
if ! cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DNK_WERROR=OFF \
    -DNK_SANITIZE=OFF >"$LOG/configure.log" 2>&1 ||
    ! cmake --build "$BUILD" -j "$JOBS" >"$LOG/build.log" 2>&1; then
    echo "run.sh: the clean tree does not build; see below" >&2
    tail -n 30 "$LOG/configure.log" "$LOG/build.log" >&2
    exit 2
fi

# run_tests PATTERN LOGFILE: ctest on the scratch build, bounded
run_tests() {
    timeout --kill-after=10 "$TMO" ctest --test-dir "$BUILD" -R "$1" \
        --no-tests=error -j "$JOBS" --output-on-failure >"$2" 2>&1
}

# ---- the clean tree passes every pattern ---------------------------------------
mapfile -t patterns < <(for ((i = 0; i < nrec; i++)); do
    [ -z "${R_ERR[i]}" ] && printf '%s\n' "${R_TESTS[i]}"; done | sort -u)
echo "# baseline: ${#patterns[@]} test pattern(s) on the clean tree"
base_bad=0
for ((p = 0; p < ${#patterns[@]}; p++)); do
    if run_tests "${patterns[p]}" "$LOG/baseline.$p.log"; then
        if grep -q 'Skipped\|Not Run' "$LOG/baseline.$p.log"; then
            echo "# baseline: ${patterns[p]}: passes, but some test skipped (a skipped test catches nothing)"
        fi
    else
        base_bad=1
        echo "not ok - baseline: ${patterns[p]} fails (or names no test) on the clean tree"
        grep -E 'Test +#|No tests were found|tests passed' "$LOG/baseline.$p.log" | sed 's/^/    /'
    fi
done
if [ "$base_bad" = 1 ]; then
    echo "run.sh: the clean tree must pass before mutations mean anything" >&2
    exit 2
fi

# ---- each mutation -------------------------------------------------------------
for ((i = 0; i < nrec; i++)); do
    id=${R_ID[i]}
    record_ok "$SRC" "$i" || continue
    CUR_FILE=${R_FILE[i]}
    SAVED=$LOG/saved.orig
    cp -p "$SRC/$CUR_FILE" "$SAVED"
    printf '%s\n' "$CUR_FILE" >>"$LOG/mutated"
    mutate "$SRC/$CUR_FILE" "${R_FIND[i]}" "${R_REPL[i]}"
    t0=$(date +%s)
    if ! cmake --build "$BUILD" -j "$JOBS" >"$LOG/$id.build.log" 2>&1; then
        report_fail "$id: ERROR the mutated tree does not build (${R_WHERE[i]})" \
            "$(grep -m 3 -E 'error' "$LOG/$id.build.log")"
    else
        NK_FAIL_FAST=1 run_tests "${R_TESTS[i]}" "$LOG/$id.test.log"
        rc=$?
        secs=$(($(date +%s) - t0))
        if [ "$rc" -eq 0 ]; then
            report_fail "$id: NOT CAUGHT: ${R_TESTS[i]} passes with the mutation (${R_WHERE[i]})" \
                "why: ${R_WHY[i]}" "file: $CUR_FILE" "find: ${R_FIND[i]}" "replace: ${R_REPL[i]}"
        else
            how=$(grep -E '^[[:space:]]*[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Not Run|Skipped)' "$LOG/$id.test.log" |
                sed -E 's/^[[:space:]]*[0-9]+ - //' | tr '\n' ' ' | sed 's/ $//')
            [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && how="ctest cut off after ${TMO} s"
            pass=$((pass + 1))
            echo "ok - $id: caught by ${how:-${R_TESTS[i]}} (${secs} s)"
        fi
    fi
    # restore (newer mtime: the next build recompiles it)
    cp "$SAVED" "$SRC/$CUR_FILE"
    touch "$SRC/$CUR_FILE"
    SAVED=""
done
# leave the build matching the clean tree for a reused NK_MUT_DIR
cmake --build "$BUILD" -j "$JOBS" >"$LOG/final.build.log" 2>&1 &&
    rm -f "$LOG/mutated"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
