#!/bin/sh
# One fuzz test: run_fuzz.sh TARGET SEEDS SCRATCH SECONDS
# Runs the libFuzzer TARGET for SECONDS starting from the seed corpus in
# SEEDS, read-only: libFuzzer writes the inputs it finds into the first
# directory it is given, so that is SCRATCH (emptied first, in the build
# tree), never the source tree. Fails when the seeds were not read, so a
# moved corpus cannot quietly turn the run back into a blind one.
set -u
target=$1 seeds=$2 scratch=$3 secs=$4
n=$(ls -A "$seeds" 2>/dev/null | wc -l)
if [ "$n" -eq 0 ]; then
    echo "run_fuzz: no seed inputs in $seeds" >&2
    exit 1
fi
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
"$target" -max_total_time="$secs" -rss_limit_mb=1024 "$scratch" "$seeds" \
    >"$scratch.log" 2>&1
rc=$?
cat "$scratch.log"
[ "$rc" -eq 0 ] || exit "$rc"
# "INFO: seed corpus: files: 19 min: 47b max: 68b ..."
got=$(sed -n 's/.*INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$scratch.log")
if [ -z "$got" ] || [ "$got" -lt 1 ]; then
    echo "run_fuzz: libFuzzer read no seed inputs from $seeds ($n there)" >&2
    exit 1
fi
echo "run_fuzz: started from $got of the $n seed inputs in $seeds"
