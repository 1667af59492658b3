# shellcheck shell=bash
# Shared helpers for the lab tests (tests/lab/test_*.sh). Source after setting nothing; call
# lab_test_init "$@" first. Each test builds its own lab and tears it down on exit.
#
#   check DESC CMD...          run CMD; record and print ok/FAIL (with CMD's output on failure)
#   check_not DESC CMD...      the same, expecting CMD to fail
#   fail DESC [DETAIL]         record a failure
#   pass DESC                  record a success
#   fatal DESC                 record a failure and stop the test (cleanup still runs, hooks included)
#   finish                     run the cleanup, print the tally, exit 1 if anything failed
#   lab_on_cleanup CMD         have the cleanup run CMD (a string for eval) however the test ends, before
#                              the lab's namespaces go: extra namespaces, processes, settings of the test.
#                              Never replace the EXIT trap in a test: finish/fatal clear it.
#   start_capture NS IF FILE FILTER   tcpdump -w FILE in NS, waits until it listens
#   stop_capture               stop it (bounded)
#   sendf NS ARGS...           run tests/lab/send_frames.py in NS with the scapy-capable python

# Tests use their own namespace names (t-dpr-h1, ...) and DPDK file prefix, so that they never tear down
# an interactive lab (scripts/lab.sh run) that uses the defaults.
: "${DPR_LAB_PREFIX:=t-}"
LAB_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_TEST_DIR/../.." && pwd)
# shellcheck source=../../scripts/lab-lib.sh
source "$LAB_REPO/scripts/lab-lib.sh"

: "${LAB_PY:=/usr/bin/python3}"    # the pyenv python3 first on PATH lacks scapy
LAB_CONFIG="${LAB_CONFIG:-$LAB_REPO/config/lab.yaml}"
LAB_FAILS=0
LAB_PASSES=0
LAB_NAME=$(basename "$0" .sh)
CAPTURE_PID=""
LAB_CLEANUP_HOOKS=()
LAB_MAIN_PID=$BASHPID

pass() { LAB_PASSES=$((LAB_PASSES + 1)); echo "  ok: $1"; }
fail() {
    LAB_FAILS=$((LAB_FAILS + 1)); echo "  FAIL: $1"
    if [[ -n "${2:-}" ]]; then printf '%s\n' "$2" | sed 's/^/      | /'; fi
}
fatal() {
    fail "$@"
    # In a subshell ($(...), a pipeline) the test's state is a copy: the cleanup would tear the lab down
    # under the main shell. Leave with an error there; the main shell sees the failure of the command.
    if [[ $BASHPID != "$LAB_MAIN_PID" ]]; then echo "  (fatal in a subshell: $1)" >&2; exit 1; fi
    echo "  (stopping $LAB_NAME early)"
    finish
}

# check/check_not run CMD in the current shell (so router_stop & co. keep their state), output to a file.
check() {
    local desc=$1; shift
    local f="${LAB_TMP:-/tmp}/.check.out"
    if "$@" >"$f" 2>&1; then pass "$desc"; else fail "$desc" "\$ $*"$'\n'"$(cat "$f")"; fi
}
check_not() {
    local desc=$1; shift
    local f="${LAB_TMP:-/tmp}/.check.out"
    if "$@" >"$f" 2>&1; then fail "$desc (command unexpectedly succeeded)" "\$ $*"$'\n'"$(cat "$f")"; else pass "$desc"; fi
}

finish() {
    trap - EXIT
    lab_test_cleanup
    echo "$LAB_NAME: $LAB_PASSES passed, $LAB_FAILS failed"
    if ((LAB_FAILS > 0)); then
        if [[ -n "${ROUTER_LOG:-}" && -s "$ROUTER_LOG" ]]; then
            echo "---- router log, last 40 lines ----"; tail -n 40 "$ROUTER_LOG"; echo "----"
        fi
        exit 1
    fi
    exit 0
}

lab_on_cleanup() { LAB_CLEANUP_HOOKS+=("$*"); }

lab_test_cleanup() {
    trap '' INT TERM   # a second signal (timeout(1) sends its group one) must not cut the cleanup short
    stop_capture >/dev/null 2>&1
    local i
    for ((i = ${#LAB_CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do eval "${LAB_CLEANUP_HOOKS[i]}" >/dev/null 2>&1; done
    LAB_CLEANUP_HOOKS=()
    lab_down >/dev/null 2>&1
    if [[ -n "${LAB_TMP:-}" && -d "$LAB_TMP" && -z "${LAB_KEEP_TMP:-}" ]]; then rm -rf "$LAB_TMP"; fi
}

lab_test_init() {
    LAB_BIN=${1:-}
    [[ -n "$LAB_BIN" ]] || { echo "usage: $0 PATH/TO/dprouter" >&2; exit 2; }
    [[ $EUID -eq 0 ]] || { echo "$LAB_NAME: must run as root" >&2; exit 2; }
    LAB_BIN=$(readlink -f "$LAB_BIN")
    LAB_TMP=$(mktemp -d "/tmp/dprouter-${LAB_NAME}-XXXXXX")
    ROUTER_LOG="$LAB_TMP/router.log"
    trap 'lab_test_cleanup' EXIT
    trap 'echo "$LAB_NAME: interrupted"; exit 130' INT TERM
    # LAB_NO_NAMESPACES=1: a test that needs no hosts (its "wire" is memif shared memory, say).
    [[ -n "${LAB_NO_NAMESPACES:-}" ]] || lab_up || { echo "  FAIL: lab_up"; exit 1; }
}

# Start the router on CONFIG (default: the lab config) or stop the test.
lab_test_router() {
    local cfg=${1:-$LAB_CONFIG}; shift || true
    router_start "$LAB_BIN" "$cfg" "$@" 2>&1 || fatal "router starts and answers ping at $DPR_R1_ADDR"
}

sendf() { local ns=$1; shift; ip netns exec "$ns" "$LAB_PY" "$LAB_TEST_DIR/send_frames.py" "$@"; }

start_capture() {
    local ns=$1 ifname=$2 file=$3 filter=$4
    local err="$file.stderr"
    ip netns exec "$ns" tcpdump -n -U --immediate-mode -Z root -i "$ifname" -w "$file" "$filter" 2>"$err" &
    CAPTURE_PID=$!
    local deadline=$((SECONDS + 5))
    while ((SECONDS < deadline)); do
        grep -q "listening on" "$err" 2>/dev/null && return 0
        kill -0 "$CAPTURE_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "tcpdump did not start: $(cat "$err")" >&2
    return 1
}

stop_capture() {
    [[ -n "$CAPTURE_PID" ]] || return 0
    local pid=$CAPTURE_PID
    CAPTURE_PID=""
    sleep 0.3   # let the last packets reach the capture
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 5))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# start_capture_bg NS IF FILE FILTER: a second capture beside start_capture's, its pid in BG_CAPTURE_PID
# (stopped however the test ends); stop it with stop_capture_bg PID.
start_capture_bg() {
    local saved=$CAPTURE_PID
    CAPTURE_PID=""
    start_capture "$@" || { CAPTURE_PID=$saved; return 1; }
    BG_CAPTURE_PID=$CAPTURE_PID
    CAPTURE_PID=$saved
    lab_on_cleanup "kill -KILL $BG_CAPTURE_PID"
}
stop_capture_bg() { local saved=$CAPTURE_PID; CAPTURE_PID=$1; stop_capture; CAPTURE_PID=$saved; }

# tshark over a capture file; the root warning goes away.
tshark_fields() { local file=$1; shift; tshark -r "$file" -n -T fields "$@" 2>/dev/null; }

# ping_ok NS DST [COUNT [PING-ARGS...]]: COUNT echo requests (default 5), all answered.
ping_ok() {
    local ns=$1 dst=$2 count=${3:-5} out
    shift $(($# < 3 ? $# : 3))
    out=$(ip netns exec "$ns" ping -n -c "$count" -i 0.2 -W 1 -w $((count + 5)) "$@" "$dst" 2>&1)
    local rc=$?
    echo "$out"
    [[ $rc -eq 0 ]] && grep -q " 0% packet loss" <<<"$out"
}

# ping6_ok NS DST [COUNT [PING-ARGS...]]: ping_ok over IPv6 (DST may be fe80::1%IF).
ping6_ok() { ping_ok "$1" "$2" "${3:-5}" -6 "${@:4}"; }

# ping_none NS DST [COUNT [PING-ARGS...]]: no echo reply at all from DST.
ping_none() {
    local ns=$1 dst=$2 count=${3:-2} out
    shift $(($# < 3 ? $# : 3))
    out=$(ip netns exec "$ns" timeout $((count + 5)) ping -n -c "$count" -i 0.3 -W 1 "$@" "$dst" 2>&1)
    echo "$out"
    ! grep -q "bytes from $dst" <<<"$out"
}

# DPDK telemetry of the running router. tel_snapshot FILE saves /dprouter/stats as JSON;
# tel_delta BEFORE AFTER KEY prints AFTER[KEY] - BEFORE[KEY] for a dotted KEY (drops.ipv4_bad_checksum),
# failing when the key is missing. Skipped (return 2) when LAB_SKIP_TELEMETRY is set.
tel_snapshot() {
    [[ -z "${LAB_SKIP_TELEMETRY:-}" ]] || return 2
    echo /dprouter/stats | timeout 10 "$LAB_PY" "$(command -v dpdk-telemetry.py)" -f "$DPR_FILE_PREFIX" >"$1" 2>&1 &&
        grep -q '"/dprouter/stats"' "$1"
}
# tel_query CMD: one DPDK telemetry command of the running router (/dprouter/neighbors, /mempool/info,NAME),
# its JSON reply on stdout.
tel_query() {
    echo "$1" | timeout 10 "$LAB_PY" "$(command -v dpdk-telemetry.py)" -f "$DPR_FILE_PREFIX" 2>&1 | grep '^{'
}
tel_delta() {
    "$LAB_PY" - "$1" "$2" "$3" <<'PYEOF'
import json, sys
def get(path, key):
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)["/dprouter/stats"]
            for k in key.split("."):
                d = d[k]
            return int(d)
    raise KeyError("no telemetry reply in " + path)
try:
    print(get(sys.argv[2], sys.argv[3]) - get(sys.argv[1], sys.argv[3]))
except (KeyError, TypeError, ValueError) as e:
    print(f"telemetry key {sys.argv[3]} missing: {e}", file=sys.stderr)
    sys.exit(1)
PYEOF
}
# expect_delta BEFORE AFTER KEY MIN [MAX]: record ok/FAIL for MIN <= delta <= MAX.
expect_delta() {
    local before=$1 after=$2 key=$3 min=$4 max=${5:-} d
    if ! d=$(tel_delta "$before" "$after" "$key" 2>&1); then fail "telemetry counter $key" "$d"; return; fi
    if ((d >= min)) && [[ -z "$max" || $d -le $max ]]; then
        pass "telemetry $key +$d"
    else
        fail "telemetry $key went up by $d, expected ${min}${max:+..$max}"
    fi
}

# Crafted datagrams from h1 (or h2) to the router's MAC: px_h1 --ip 'SCAPY-EXPR' [--save FILE] ...
# A sender that fails stops the test: "nothing arrived" must never pass because nothing was sent.
px_h1() { sendf "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" "$@" >/dev/null || fatal "send_frames.py pkt from $DPR_NS_H1 failed: $*"; }
px_h2() { sendf "$DPR_NS_H2" pkt --iface "$DPR_IF_H2" --dst-mac "$DPR_R2_MAC" "$@" >/dev/null || fatal "send_frames.py pkt from $DPR_NS_H2 failed: $*"; }
# sendf_ok NS ARGS...: sendf that stops the test when the sender fails (output discarded).
sendf_ok() { sendf "$@" >/dev/null || fatal "send_frames.py failed: $*"; }

# cfg_variant DST [cfg_variant.py options]: a variant of the lab config (see tests/lab/cfg_variant.py).
# Stops the test when the variant cannot be written: a check must never run on a file that is not there.
cfg_variant() {
    local dst=$1 out; shift
    rm -f "$dst"
    out=$("$LAB_PY" "$LAB_TEST_DIR/cfg_variant.py" "$LAB_CONFIG" "$dst" "$@" 2>&1) && [[ -s "$dst" ]] ||
        fatal "cfg_variant $dst $*: the variant was not written" "$out"
}
# cfg_edit FILE SED-SCRIPT: edit a config variant in place with sed; stops the test when FILE is missing,
# sed fails or the edit changes nothing.
cfg_edit() {
    local file=$1 script=$2 out
    [[ -s "$file" ]] || fatal "cfg_edit: $file is missing or empty"
    cp "$file" "$file.orig"
    out=$(sed -i -e "$script" "$file" 2>&1) || fatal "cfg_edit: sed '$script' $file failed" "$out"
    if cmp -s "$file" "$file.orig"; then fatal "cfg_edit: sed '$script' changed nothing in $file" "$(cat "$file")"; fi
    rm -f "$file.orig"
}

# icmp_check / icmp6_check / frag_check: the python checkers (see their docstrings).
icmp_check() { "$LAB_PY" "$LAB_TEST_DIR/icmp_check.py" "$@"; }
icmp6_check() { "$LAB_PY" "$LAB_TEST_DIR/icmp6_check.py" "$@"; }
# expect_icmp6 DESC PCAP ARGS...: icmp6_check --pcap PCAP ARGS with a pass/fail record (the capture's
# ICMPv6 listing comes with a failure).
expect_icmp6() {
    local desc=$1 pcap=$2 out; shift 2
    if out=$(icmp6_check --pcap "$pcap" "$@" 2>&1); then pass "$desc"
    else fail "$desc" "$out"$'\n'"capture: $(icmp6_check --pcap "$pcap" --list 2>&1)"; fi
}
frag_check() { "$LAB_PY" "$LAB_TEST_DIR/frag_check.py" "$@"; }

# capture_during NS IF FILE FILTER CMD...: capture while CMD runs (CMD's output goes to stdout).
capture_during() {
    local ns=$1 ifname=$2 file=$3 filter=$4; shift 4
    start_capture "$ns" "$ifname" "$file" "$filter" || return 1
    "$@"
    local rc=$?
    sleep 0.3
    stop_capture
    return $rc
}

# expect_counters_identity: rx = forwarded + dropped + local_delivered + punted on /dprouter/stats
# (tests/lab/counters_identity.py; the caller makes sure nothing is held). The figures are read while
# the router runs, and a frame arriving between two counters (an IPv6 router solicitation, say) can
# put one reading off: the identity must hold in one of five. The last reading stays in
# $LAB_TMP/identity.json.
expect_counters_identity() {
    local i res=""
    for i in 1 2 3 4 5; do
        if tel_snapshot "$LAB_TMP/identity.json" &&
            res=$("$LAB_PY" "$LAB_TEST_DIR/counters_identity.py" "$LAB_TMP/identity.json"); then
            pass "counters identity: $res"
            return 0
        fi
        sleep 0.5
    done
    fail "counters identity does not hold" "$res"
}
