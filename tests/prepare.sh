#!/usr/bin/env bash
# What the tests need on a fresh Debian machine, installed when missing, then the venv and lab:
#   - Debian packages, as root through apt-get, else through sudo, else a clear error naming
#     them: chromium (the report tests open the HTML headless), jq (a stage cross-check), and
#     what real lab nodes need (tests marked realnode, docs/lab.md): containerd, runc and the
#     CNI plugins run them; gcc, libc6-dev, busybox-static and redis-tools build their images,
#     python3.11 (Debian's) is the stswatch image's interpreter.
#   - .venv with stswatch and its test extras (pip).
#   - the lab's binaries and images (`stswatch lab build --real-nodes`, cached by version).
# Go >= 1.26 must be on PATH: the lab's control plane is built from Go modules (cached).
# Idempotent: a second run installs nothing. Used by the README's test command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

REAL_NODE_PACKAGES="containerd runc containernetworking-plugins busybox-static redis-tools gcc libc6-dev python3.11 zookeeper default-jre-headless"
PACKAGES="chromium jq $REAL_NODE_PACKAGES"

missing=""
for package in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || \
        missing="$missing $package"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "the tests need these Debian packages:$missing (run: apt-get install$missing as root)" >&2
        exit 1
    fi
    echo "installing Debian packages:$missing"
    # shellcheck disable=SC2086
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
command -v go >/dev/null || { echo "go (>= 1.26) is required to build the lab's control plane" >&2; exit 1; }

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
.venv/bin/stswatch lab build --real-nodes
