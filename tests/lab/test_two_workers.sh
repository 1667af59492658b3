#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# Two workers (dpdk.workers: 2) on af_packet ports with two queue pairs each (qpairs=2: the kernel
# spreads flows over the queues' sockets by a flow hash, PACKET_FANOUT_HASH). Oversubscribed: 3 lcores
# on 2 CPUs, workers with idle: sleep. Many UDP flows from ordinary sockets show both workers
# forwarding (/dprouter/workers); a TTL-1 flood over many flows gets the configured global ICMP rate
# router-wide and no more (each worker enforces half of it), time exceeded counted at h1 by tcpdump.
DPR_LAB_PMD=af_packet
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H2=$DPR_H2_ADDR
RATE=200 BURST=20   # global time exceeded budget of the router; per destination out of the way

cfg="$LAB_TMP/two-workers.yaml"
cat >"$cfg" <<YAML
dpdk:
  eal_args: ["--no-pci", "--no-huge", "-m", "512", "--file-prefix", "dprouter-lab", "--lcores", "0@0,1@1,2@0"]
  workers: 2
  idle: sleep
interfaces:
  - name: lan
    device: "net_af_packet0,iface=r-h1,qpairs=2"
    addresses: ["10.1.0.1/24", "2001:db8:1::1/64"]
    mtu: 1500
    mac: "$DPR_R1_MAC"
  - name: wan
    device: "net_af_packet1,iface=r-h2,qpairs=2"
    addresses: ["10.2.0.1/24", "2001:db8:2::1/64"]
    mtu: 1500
    mac: "$DPR_R2_MAC"
icmp:
  rate_limit:
    global: {rate: $RATE, burst: $BURST}
    per_destination: {rate: 1000000, burst: 1000000}
YAML
lab_test_router "$cfg"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2

# workers_field FILE W KEY: one worker's figure from a /dprouter/workers reply.
workers_snapshot() { tel_query /dprouter/workers >"$1" && grep -q '"/dprouter/workers"' "$1"; }
workers_field() {
    "$LAB_PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["/dprouter/workers"][sys.argv[2]][sys.argv[3]])' "$@"
}
# delta W KEY: the worker's figure in w1.json minus the one in w0.json.
delta() { echo $(($(workers_field "$LAB_TMP/w1.json" "$1" "$2") - $(workers_field "$LAB_TMP/w0.json" "$1" "$2"))); }

# --- flows spread over both workers ------------------------------------------------------------
workers_snapshot "$LAB_TMP/w0.json" || fatal "telemetry /dprouter/workers" "$(cat "$LAB_TMP/w0.json")"
out=$(in_h1 "$LAB_PY" "$LAB_TEST_DIR/udp_flows.py" --dst "$H2" --flows 64 --rate 2000 --seconds 2 2>&1) || fail "UDP flows sender" "$out"
echo "  (flows: $out)"
sleep 0.5
workers_snapshot "$LAB_TMP/w1.json" || fatal "telemetry /dprouter/workers" "$(cat "$LAB_TMP/w1.json")"
f0=$(delta 0 forwarded) f1=$(delta 1 forwarded)
total=$((f0 + f1))
if ((total >= 2000)); then pass "forwarded $total datagrams of 64 flows"; else fail "forwarded only $total datagrams of 64 flows" "$out"; fi
if ((f0 * 10 >= total && f1 * 10 >= total)); then
    pass "both workers forward: worker 0 $f0, worker 1 $f1"
else
    fail "flows not spread over both workers: worker 0 $f0, worker 1 $f1" "$(cat "$LAB_TMP/w1.json")"
fi

# --- TTL-1 flood over many flows: the global ICMP limit holds router-wide --------------------------
sleep 1   # both global buckets full again (burst 10 each)
cp "$LAB_TMP/w1.json" "$LAB_TMP/w0.json"
cap="$LAB_TMP/te.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC and icmp[icmptype] = icmp-timxceed" || fatal "tcpdump"
t0=$(date +%s.%N)
out=$(in_h1 "$LAB_PY" "$LAB_TEST_DIR/udp_flows.py" --dst "$H2" --ttl 1 --flows 64 --rate 3000 --seconds 4 2>&1) || fail "TTL-1 flood sender" "$out"
t1=$(date +%s.%N)
stop_capture
workers_snapshot "$LAB_TMP/w1.json" || fatal "telemetry /dprouter/workers" "$(cat "$LAB_TMP/w1.json")"
echo "  (TTL-1 flood: $out)"
n=$(tshark_fields "$cap" -e frame.number | grep -c .)
secs=$("$LAB_PY" -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out" 2>/dev/null || echo 4)
# At most burst + rate x (the whole window, capture start to stop); at least 85 % of rate x flood time.
max=$(awk -v r=$RATE -v b=$BURST -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", b + r * (t1 - t0 + 0.5) }')
min=$(awk -v r=$RATE -v t="$secs" 'BEGIN { printf "%d", 0.85 * r * t }')
if ((n >= min && n <= max)); then
    pass "time exceeded at h1: $n in ${secs}s of flood (global $RATE/s burst $BURST: $min..$max)"
else
    fail "time exceeded at h1: $n in ${secs}s of flood, expected $min..$max (global $RATE/s burst $BURST)"
fi
e0=$(delta 0 time_exceeded_sent) e1=$(delta 1 time_exceeded_sent)
if ((e0 > 0 && e1 > 0)); then pass "both workers sent time exceeded: $e0 + $e1"; else fail "time exceeded by worker: $e0 + $e1"; fi
if ((e0 + e1 == n)); then pass "every time exceeded sent reached h1 ($n)"; else fail "time exceeded sent $((e0 + e1)), seen at h1 $n"; fi

# --- the counters add up with two workers too ----------------------------------------------------
sleep 0.5
expect_counters_identity

check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
