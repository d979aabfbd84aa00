#!/bin/sh
# Installs the Debian/Ubuntu packages given as arguments when they are missing (as root, or
# through sudo). Used by captures/run-demo.sh and tests/run.sh so that a fresh machine with only
# Rust installed needs nothing else.
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "segscope: installing Debian packages:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # the package list is meant to be split
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
