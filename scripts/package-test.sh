#!/bin/sh
# Build the Debian package from a configured, built tree (BUILD_DIR), then
# prove it: install it with dpkg, run netkit from PATH, find its man page,
# completion files and systemd unit examples (docs/examples), remove it,
# and check nothing of it is left.
# usage: sh scripts/package-test.sh BUILD_DIR      (as root, or with sudo)
set -eu
dir=${1:?build directory}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

fail() {
    echo "package test: $*" >&2
    exit 1
}

(cd "$dir" && rm -f netkit_*.deb && cpack -G DEB >cpack.log 2>&1) ||
    { cat "$dir/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$dir"/netkit_*.deb) || fail "cpack made no .deb"
echo "package: $(basename "$deb")"
dpkg-deb --info "$deb" | grep -q "Package: netkit" || fail "bad control file"

if dpkg-query -W -f='${Status}' netkit 2>/dev/null | grep -q "ok installed"; then
    fail "a netkit package is already installed; remove it first"
fi
$SUDO dpkg -i "$deb" >/dev/null
trap '$SUDO dpkg -r netkit >/dev/null 2>&1 || true' EXIT

got=$(command -v netkit) || fail "netkit not on PATH after dpkg -i"
[ "$got" = /usr/bin/netkit ] || fail "netkit found at $got, not /usr/bin"
version=$(netkit --version) || fail "netkit --version failed"
echo "installed: $version"
case "$version" in *"$(dpkg-deb -f "$deb" Version)"*) ;;
*) fail "--version '$version' does not match the package version" ;; esac
man -w netkit >/dev/null || fail "man -w netkit: no man page"
man -w netkit-echo-tcp >/dev/null || fail "no page for netkit-echo-tcp"
[ -s /usr/share/bash-completion/completions/netkit ] ||
    fail "bash completion not installed"
[ -s /usr/share/zsh/vendor-completions/_netkit ] ||
    fail "zsh completion not installed"
# the systemd unit pairs of docs/examples (README: run under systemd)
ex=/usr/share/doc/netkit/examples
for u in netkit-echo.socket netkit-echo.service netkit-echo-inetd.socket \
    netkit-echo-inetd@.service netkit-sntp.socket netkit-sntp.service \
    netkit-fileshare.socket netkit-fileshare.service; do
    [ -s "$ex/$u" ] || fail "$ex/$u not installed"
done
grep -q '^ExecStart=/usr/bin/netkit sntp serve' "$ex/netkit-sntp.service" ||
    fail "$ex/netkit-sntp.service does not start netkit sntp serve"
# systemd's own parser accepts them, now that /usr/bin/netkit exists
# (no running systemd needed)
if command -v systemd-analyze >/dev/null; then
    (cd "$ex" && systemd-analyze verify --man=no netkit-echo.socket \
        netkit-echo.service netkit-echo-inetd.socket netkit-sntp.socket \
        netkit-sntp.service netkit-fileshare.socket \
        netkit-fileshare.service) >"$dir/units.log" 2>&1 ||
        { cat "$dir/units.log" >&2; fail "systemd-analyze verify refused a unit"; }
    [ ! -s "$dir/units.log" ] ||
        { cat "$dir/units.log" >&2; fail "systemd-analyze verify warned"; }
fi

$SUDO dpkg -r netkit >/dev/null
trap - EXIT
[ ! -e /usr/bin/netkit ] || fail "/usr/bin/netkit left after dpkg -r"
[ ! -e /usr/share/bash-completion/completions/netkit ] ||
    fail "completion left after dpkg -r"
[ ! -e /usr/share/doc/netkit/examples ] ||
    fail "unit examples left after dpkg -r"
echo "package: installs, runs from PATH and removes cleanly"
