#!/usr/bin/env bash
# Runs one cmocka test executable for ctest and makes its skips visible.
# cmocka reports a skip() as "[  SKIPPED ]" but still exits 0, so ctest
# would call the test Passed. This wrapper exits:
#   the test's own status  when it failed (or crashed, or a sanitizer fired);
#   77                     when it passed with skips (SKIP_RETURN_CODE in
#                          tests/CMakeLists.txt: ctest prints "Skipped");
#   1                      under CI (CI set, not "false"/"0") when a skip was
#                          not marked as depending on the kernel or machine:
#                          CI runs as root with scripts/deps.sh, so nothing
#                          it should have provided may be missing there.
# A test marks a skip with NK_SKIP(why) or NK_SKIP_KERNEL(why)
# (tests/unit/capture.h), which print "# SKIP why" / "# SKIP (kernel) why".
#
# usage: cmocka.sh TEST_EXECUTABLE [ARGS...]
set -u
log=$(mktemp "${TMPDIR:-/tmp}/nk_cmocka.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT
# cmocka prints some of its summary on stderr: read both, in order.
"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || exit "$rc"

skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) test(s), listed below.*/\1/p' "$log" | head -n 1)
skipped=${skipped:-0}
kernel=$(grep -c '^# SKIP (kernel)' "$log")
[ "$skipped" -eq 0 ] && exit 0
echo "# $skipped test(s) skipped, $kernel of them for the kernel or machine"
case ${CI:-} in
"" | false | 0) ;;
*)
    if [ "$skipped" -gt "$kernel" ]; then
        echo "not ok - no skips in CI: CI=$CI, $((skipped - kernel)) skip(s) for want of what CI provides (root, scripts/deps.sh)"
        exit 1
    fi
    ;;
esac
exit 77
