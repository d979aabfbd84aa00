#!/bin/sh
# Runs segscope's whole test suite: the README's test command, and what CI runs.
#
# Installs what the tests need (libpcap to build; tshark and editcap for the cross-checks against
# Wireshark; nftables, iproute2 and ping for the policy-export and live-capture tests in network
# namespaces; chromium for the report.html test), then checks formatting and lints and runs
# every test of the workspace.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh libpcap-dev tshark nftables iproute2 iputils-ping chromium
if [ -f ../shared/captures/real/MANIFEST.tsv ]; then
    echo "segscope tests: real captures found in ../shared/captures/real"
else
    echo "segscope tests: ../shared/captures/real not found; tests that need it print SKIP and pass"
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
