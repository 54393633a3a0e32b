#!/bin/sh
# Install, from Debian's packages, whatever netkit's build and tests need
# and this machine lacks. Does nothing (and needs no network) when all are
# present. Run as root, or with sudo available.
set -eu

# build: compiler, cmake; tests: cmocka, jq and python3 (JSON parsers),
# netcat-openbsd and socat (real peers), bsdutils (script: a pseudo-tty),
# coreutils (timeout), procps (pgrep), iproute2 (ss, ip: sockopt and
# hostinfo tests compare with them); clang and its runtime for libFuzzer.
PKGS="gcc libc6-dev make cmake libcmocka-dev jq python3 netcat-openbsd socat
bsdutils coreutils procps iproute2 clang libclang-rt-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "netkit deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
