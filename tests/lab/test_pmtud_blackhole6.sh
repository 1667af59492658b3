#!/usr/bin/env bash
# Path MTU Discovery lab, scenario "blackhole6" (scripts/pmtud-lab.sh blackhole6; docs/pmtud-lab.md):
#   tests/lab/test_pmtud_blackhole6.sh PATH/TO/dprouter
# Runs the scenario against the given router binary in its own namespaces (pm-dpr-*, DPDK file prefix
# dprouter-pmtud, unless DPR_LAB_PREFIX / DPR_FILE_PREFIX say otherwise) and exits non-zero when one of
# its expectations fails. Needs root.
set -u
bin=${1:-}
[[ -n "$bin" ]] || { echo "usage: $0 PATH/TO/dprouter" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
DPR_BIN=$(readlink -f "$bin") exec bash "$here/../../scripts/pmtud-lab.sh" blackhole6
