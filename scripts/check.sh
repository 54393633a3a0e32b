#!/bin/sh
# The whole suite, as CI runs it: install what is missing, then build and
# run every test twice, once plain (-O2, -Werror) and once under
# AddressSanitizer + UndefinedBehaviorSanitizer; then run each libFuzzer
# target for a bounded time (NK_FUZZ_SECONDS, default 20). After the plain
# run, the .deb is built, installed, run from PATH and removed, and every
# mutation in tests/mutation/*.mut must be caught by its tests
# (tests/mutation/run.sh, in a scratch copy under build/check-mutation).
# Under CI (CI set) a skipped test is a failed one, unless only the kernel
# or machine could prevent it (tests/cli/lib.sh, tests/cmocka.sh).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0
for variant in plain sanitize; do
    dir=build/check-$variant
    san=OFF
    type=Release
    if [ $variant = sanitize ]; then san=ON; type=Debug; fi
    echo "== $variant build =="
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=$type -DNK_WERROR=ON \
        -DNK_SANITIZE=$san >/dev/null
    cmake --build "$dir" -j "$jobs"
    echo "== $variant tests =="
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir "$dir" --output-on-failure -j "$jobs" || status=1
    if [ $variant = plain ]; then
        echo "== package (.deb install, run, remove) =="
        sh scripts/package-test.sh "$dir" || status=1
        echo "== mutations (each must make its tests fail) =="
        NK_MUT_DIR=build/check-mutation bash tests/mutation/run.sh || status=1
    fi
done
echo "== fuzz (clang, ${NK_FUZZ_SECONDS:-20} s per target) =="
CC=clang cmake -S . -B build/check-fuzz -DNK_FUZZ=ON -DNK_TESTS=OFF \
    -DNK_FUZZ_SECONDS="${NK_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build/check-fuzz -j "$jobs"
ctest --test-dir build/check-fuzz --output-on-failure || status=1
exit $status
