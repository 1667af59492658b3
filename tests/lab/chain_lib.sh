# shellcheck shell=bash disable=SC2034  # the variables are for the tests that source this file
# Shared by the chain lab tests (tests/lab/test_chain_*.sh): a chain of dprouters built with
# scripts/lab-chain.sh between hosts h1 and h2, torn down however the test ends. Source after
# tests/lab/lib.sh; call chain_test_init "$@" instead of lab_test_init.
#
#   chain_up ARGS...        scripts/lab-chain.sh up --prefix $CHAIN_PREFIX --bin $LAB_BIN ARGS (a
#                           running chain of the prefix goes first); stops the test when it fails
#   chain_ns NODE           the namespace of h1, h2, r1, ...
#   in_node NODE CMD...     run CMD in that namespace
#   chain_cpu_ticks         the routers' CPU time so far (user + system), in clock ticks
#   chain_tel NODE FILE     save router NODE's /dprouter/stats (DPDK telemetry) to FILE
#   tcp_transfer NAME DST DEADLINE [BYTES]   h1 sends BYTES (default 4 MiB) of random data to h2 with
#                           scripts/pmtud/tcp_bulk.py; XFER_DONE=1 when it arrived whole (sha256)

CHAIN_SCRIPT="$LAB_REPO/scripts/lab-chain.sh"
# The chain's own names: PREFIXch-h1, ... (never the single-router lab's t-dpr-*).
: "${CHAIN_PREFIX:=${DPR_LAB_PREFIX}}"
# CHAIN_ROUTERS=3 (CI) or 4: the narrowing routers RA (says 1400) and RB (says 1200, or 1300 for IPv6)
# and h2's addresses follow. With 4 the chain starts with an extra 1500-byte link, as in the teaching
# example R1-R5 where R4's outgoing link is the narrow one.
: "${CHAIN_ROUTERS:=3}"
case $CHAIN_ROUTERS in
3) CHAIN_MTUS=1500,1400,1200,1500 CHAIN_MTUS6=1500,1400,1300,1500 RA=1 RB=2 ;;
4) CHAIN_MTUS=1500,1500,1400,1200,1500 CHAIN_MTUS6=1500,1500,1400,1300,1500 RA=2 RB=3 ;;
*) echo "CHAIN_ROUTERS=$CHAIN_ROUTERS: 3 or 4" >&2; exit 2 ;;
esac
RC=$((RB + 1))                         # the router after the narrowest link
NLINKS=$((CHAIN_ROUTERS + 1))
H2=10.0.$NLINKS.2 H2_6=2001:db8:0:$NLINKS::2

chain_test_init() {
    LAB_BIN=${1:-}
    [[ -n "$LAB_BIN" ]] || { echo "usage: $0 PATH/TO/dprouter" >&2; exit 2; }
    [[ $EUID -eq 0 ]] || { echo "$LAB_NAME: must run as root" >&2; exit 2; }
    LAB_BIN=$(readlink -f "$LAB_BIN")
    LAB_TMP=$(mktemp -d "/tmp/dprouter-${LAB_NAME}-XXXXXX")
    trap 'lab_test_cleanup' EXIT
    trap 'echo "$LAB_NAME: interrupted"; exit 130' INT TERM
    lab_on_cleanup "bash '$CHAIN_SCRIPT' down --prefix '$CHAIN_PREFIX'"
}

chain_up() {
    local out
    if out=$(bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" "$@" 2>&1); then
        pass "lab-chain.sh up $*"
    else
        fatal "lab-chain.sh up $*" "$out"
    fi
}
chain_ns() { bash "$CHAIN_SCRIPT" ns "$1" --prefix "$CHAIN_PREFIX"; }
in_node() { local ns; ns=$(chain_ns "$1"); shift; ip netns exec "$ns" "$@"; }
chain_state() { echo "${TMPDIR:-/tmp}/dprouter-chain-${CHAIN_PREFIX:-default}"; }

chain_cpu_ticks() {
    local f total=0 pid
    for f in "$(chain_state)"/r*.pid; do
        pid=$(cat "$f")
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}

chain_tel() {
    echo /dprouter/stats | timeout 10 "$LAB_PY" "$(command -v dpdk-telemetry.py)" -f "${CHAIN_PREFIX}chain-$1" >"$2" 2>&1 &&
        grep -q '"/dprouter/stats"' "$2"
}

# chain_log_tail: the routers' logs, for a failure report.
chain_logs() { local f; for f in "$(chain_state)"/r*.log; do echo "---- $f"; tail -n 15 "$f"; done; }

# tracepath_resume_ok OUTPUT DST MTU: tracepath's output shows DST reached and ends "Resume: pmtu MTU
# hops N" with N at least the number of links (fewer would mean a router that did not count).
tracepath_resume_ok() {
    grep -qE "^ *[0-9]+: +$2 .*reached" <<<"$1" || return 1
    local hops
    hops=$(sed -n "s/.*Resume: pmtu $3 hops \([0-9]*\) .*/\1/p" <<<"$1")
    [[ -n $hops ]] && ((hops >= NLINKS))
}

tcp_transfer() {
    local name=$1 dst=$2 deadline=$3 bytes=${4:-4194304}
    local data="$LAB_TMP/$name.data" out="$LAB_TMP/$name.recv" bind=0.0.0.0 spid
    [[ $dst == *:* ]] && bind=::
    head -c "$bytes" /dev/urandom >"$data"
    rm -f "$out" "$out.ready"
    # ip netns exec execs python: $! is the server itself.
    ip netns exec "$(chain_ns h2)" "$LAB_PY" "$LAB_REPO/scripts/pmtud/tcp_bulk.py" server --bind "$bind" --port 5001 --out "$out" \
        --idle "$deadline" --deadline $((deadline + 5)) --ready "$out.ready" >"$out.log" 2>&1 &
    spid=$!
    lab_on_cleanup "kill -KILL $spid"
    lab_wait_for 10 test -e "$out.ready" || fatal "tcp_bulk.py server listens in h2"
    in_node h1 timeout $((deadline + 10)) "$LAB_PY" "$LAB_REPO/scripts/pmtud/tcp_bulk.py" client --host "$dst" --port 5001 \
        --file "$data" --deadline "$deadline" >"$LAB_TMP/$name.client" 2>&1
    local crc=$?
    wait "$spid"
    local src=$?
    XFER_DONE=0
    if ((crc == 0 && src == 0)) && [[ $(sha256sum <"$data") == $(sha256sum <"$out" 2>/dev/null) ]]; then XFER_DONE=1; fi
    XFER_INFO="client exit $crc: $(cat "$LAB_TMP/$name.client"); server exit $src: $(cat "$out.log"); received $(stat -c %s "$out" 2>/dev/null || echo 0) of $bytes bytes"
}
