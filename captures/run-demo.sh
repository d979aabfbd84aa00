#!/bin/sh
# The README's demo command: builds segscope (installing libpcap-dev first when it is missing)
# and analyzes the shipped demo captures into ./demo-report.
#
#   sh captures/run-demo.sh            # the lab scenario: zones, findings, score, report.html
#   sh captures/run-demo.sh FILE...    # your own captures instead
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh libpcap-dev
cargo build --release --locked --bin segscope
if [ "$#" -eq 0 ]; then
    set -- captures/lab.pcapng
fi
./target/release/segscope analyze --out demo-report "$@"
echo
echo "segscope demo: open demo-report/report.md (or report.html in a browser); all files:"
ls -l demo-report
