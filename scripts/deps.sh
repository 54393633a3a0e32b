#!/bin/sh
# Install, from Debian's packages, whatever netkit's build and tests need
# and this machine lacks. Does nothing (and needs no network) when all are
# present. Run as root, or with sudo available.
set -eu

# build: compiler, cmake; tests: cmocka, jq and python3 (JSON parsers),
# netcat-openbsd and socat (real peers), bsdutils (script: a pseudo-tty),
# coreutils (timeout), procps (pgrep), iproute2 (ss, ip: sockopt and
# hostinfo tests compare with them); clang and its runtime for libFuzzer;
# SNTP peers: python3-ntplib, ntpdig (ntpsec-ntpdig) and chronyd (chrony);
# ncat (its --chat room is the chat benchmark's peer); tmux (the chat
# client's terminal check: a half-typed line survives incoming lines);
# docs and packaging: mandoc (man page lint), man-db and groff-base (man -l
# renders the pages), bash-completion and zsh (completion tests), dpkg-dev
# and file (cpack -G DEB computes the package's library dependencies);
# dash (the completion files must load in a POSIX sh), netbase
# (/etc/services, read by the service tests), util-linux (unshare: the
# hostinfo test's own /etc/hosts in a mount namespace), iputils-ping and
# nftables (the ping test's peer and its packet loss in a namespace). CI installs all of
# these, so under CI a test that skips for want of one fails (lib.sh).
PKGS="gcc libc6-dev make cmake libcmocka-dev jq python3 netcat-openbsd socat
bsdutils coreutils procps iproute2 clang libclang-rt-dev python3-ntplib
ntpsec-ntpdig chrony ncat tmux mandoc man-db groff-base bash-completion zsh
dpkg-dev file dash netbase util-linux iputils-ping nftables strace bsdextrautils
nginx-light curl wget chromium python3-websocket tesseract-ocr"
# systemd: systemd-socket-activate, the socket-activation and inetd tests
# launcher (no running systemd needed).
PKGS="$PKGS systemd"

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
# Packages such as chrony start a daemon when installed; the tests start
# their own on loopback, so keep the packages' services from starting
# (policy-rc.d, exit 101: "action forbidden"), and put things back after.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    made_policy=1
fi
trap '[ -n "$made_policy" ] && $SUDO rm -f "$policy"' EXIT
# Wait for a package manager that is already running rather than fail.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
