#!/usr/bin/env bash
# dprouter on two net_memif server ports (scripts/pktgen/dprouter-memif.yaml), driven by Debian's
# dpdk-testpmd as memif client on each: a generator on the port into the router, a sink on the port
# out of it. No namespaces: the "wire" is memif shared memory, as in a one-host pktgen run.
#
# 1. Bytes: the generator sends one burst (testpmd --tx-first: its txonly UDP frame, 198.18.0.2 ->
#    198.19.0.1, to the router's MAC), the sink writes what the router forwards into a pcap (a
#    net_pcap tx_pcap port); every frame must be the sent one with TTL 63, the router's and the
#    static neighbour's MACs and a correct IPv4 header checksum (RFC 1812 5.3.1, RFC 1624), compared
#    byte for byte against the frame built here, and decoded by tshark.
# 2. Rate: testpmd txonly floods, testpmd rxonly sinks; the rates of all three processes over the
#    same window come from their telemetry sockets (scripts/pktgen/telemetry_rates.py) and are printed.
#    They are figures of a shared 2-CPU machine (both testpmd forwarding lcores share CPU 0, the
#    router's worker has CPU 1), not a benchmark.
# memif needs hugepages: the test reserves MEMIF_TEST_HUGEPAGES (default 512) free 2 MiB pages and
# gives back what it added. Needs root and dpdk-testpmd (Debian package dpdk-dev).
set -u
source "$(dirname "$0")/lib.sh"
source "$LAB_REPO/scripts/pktgen/memif-lib.sh"

LAB_NO_NAMESPACES=1 lab_test_init "$@"

P=${DPR_LAB_PREFIX}
GEN_PREFIX=${P}memif-gen
SINK_PREFIX=${P}memif-sink
GEN_MAC=02:00:00:00:00:02     # the router's static neighbour 198.18.0.2 on `in`
SINK_MAC=02:00:00:00:01:02    # the router's static neighbour 198.18.1.2 on `out`
R_IN_MAC=02:00:00:00:00:01
R_OUT_MAC=02:00:00:00:01:01
SRC=198.18.0.2 DST=198.19.0.1
BURST=32

hp_reserve "${MEMIF_TEST_HUGEPAGES:-512}" || fatal "reserve hugepages"
lab_on_cleanup hp_release
memif_router_config "$LAB_TMP/router.yaml" "$P"
lab_on_cleanup "rm -f $MEMIF_SOCK0 $MEMIF_SOCK1; dpdk_forget $ROUTER_PREFIX; dpdk_forget $GEN_PREFIX; dpdk_forget $SINK_PREFIX"

check "memif router configuration passes --check" "$LAB_BIN" --config "$LAB_TMP/router.yaml" --check

R_PID=
"$LAB_BIN" --config "$LAB_TMP/router.yaml" >"$ROUTER_LOG" 2>&1 &
R_PID=$!
lab_on_cleanup "dpdk_stop $R_PID"
dpdk_wait_telemetry "$ROUTER_PREFIX" 30 /dprouter/stats || fatal "router starts on memif ports and answers telemetry"
pass "router runs on two memif server ports"
# The memif PMD has no MTU operation: the router must carry on and enforce the MTU itself.
check "router logs that memif keeps its own MTU (and runs on)" grep -q "device keeps its own MTU" "$ROUTER_LOG"
check "memif socket files exist (socket-abstract=no)" test -S "$MEMIF_SOCK0" -a -S "$MEMIF_SOCK1"

# testpmd_start VAR PREFIX LOG VDEV... -- TESTPMD-ARGS...: testpmd in the background, pid in VAR.
# Both of the test's testpmds put their main and forwarding lcores on CPU 0; the router's worker
# polls on CPU 1.
testpmd_start() {
    local var=$1 prefix=$2 log=$3 eal=()
    shift 3
    while [[ $# -gt 0 && $1 != -- ]]; do eal+=(--vdev "$1"); shift; done
    shift
    dpdk-testpmd --lcores 0@0,1@0 --no-pci --huge-unlink --file-prefix "$prefix" "${eal[@]}" -- \
        --total-num-mbufs=8192 --nb-cores=1 --stats-period 3600 "$@" </dev/null >"$log" 2>&1 &
    printf -v "$var" %s $!
    lab_on_cleanup "dpdk_stop ${!var}"
}
tel() { echo "$2" | timeout 5 "$LAB_PY" "$(command -v dpdk-telemetry.py)" -f "$1" 2>/dev/null | grep '^{'; }
link_up() { tel "$ROUTER_PREFIX" "/ethdev/link_status,$1" | grep -q '"status": "UP"'; }

# ---- 1. bytes: one burst through the router into a pcap ----
out_pcap=$LAB_TMP/out.pcap
testpmd_start SINK "$SINK_PREFIX" "$LAB_TMP/sink.log" \
    "$(memif_client_vdev 1 $SINK_MAC)" "net_pcap0,tx_pcap=$out_pcap" -- \
    --forward-mode=io --port-topology=paired --auto-start
check "router port out: memif link up once the sink connects" lab_wait_for 15 link_up 1
testpmd_start GEN "$GEN_PREFIX" "$LAB_TMP/gen-burst.log" "$(memif_client_vdev 0 $GEN_MAC)" -- \
    --forward-mode=io --port-topology=loop --tx-first --burst=$BURST \
    --tx-ip=$SRC,$DST --eth-peer=0,$R_IN_MAC
check "router port in: memif link up once the generator connects" lab_wait_for 15 link_up 0
# The burst leaves as soon as the generator's port is up; the sink writes it as it arrives.
sleep 2
dpdk_stop "$GEN"
check "sink testpmd stops cleanly and writes its pcap" dpdk_stop "$SINK"
dpdk_forget "$GEN_PREFIX"; dpdk_forget "$SINK_PREFIX"

bytes_ok() {
    "$LAB_PY" - "$out_pcap" "$BURST" "$SRC" "$DST" "$R_OUT_MAC" "$SINK_MAC" <<'EOF'
import socket, struct, sys
path, burst, src, dst, smac, dmac = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def csum(b):
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
# What testpmd's txonly sends (64-byte frame without FCS: UDP 9 -> 9, TTL 64, ID 0, no checksum
# in UDP), as the router must forward it: TTL 63, the header checksum computed afresh here.
mac = lambda m: bytes.fromhex(m.replace(":", ""))
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 50, 0, 0, 63, 17, 0,
                           socket.inet_aton(src), socket.inet_aton(dst)))
ip[10:12] = struct.pack("!H", csum(bytes(ip)))
want = mac(dmac) + mac(smac) + b"\x08\x00" + bytes(ip) + struct.pack("!HHHH", 9, 9, 30, 0)
data = open(path, "rb").read()
if len(data) < 24 or struct.unpack("<I", data[:4])[0] not in (0xA1B2C3D4, 0xA1B23C4D):
    sys.exit(f"{path}: not a little-endian pcap")
frames, off = [], 24
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frames.append(data[off + 16:off + 16 + incl])
    off += 16 + incl
bad = [i for i, f in enumerate(frames) if len(f) != 64 or f[:42] != want]
print(f"{len(frames)} frames, {len(bad)} differ from the expected first 42 bytes {want.hex()}")
for i in bad[:3]:
    print(f"  frame {i}: {frames[i][:42].hex()}")
sys.exit(0 if len(frames) == burst and not bad else 1)
EOF
}
check "sink got all $BURST frames, each byte for byte the sent one with TTL 63, MACs $R_OUT_MAC -> $SINK_MAC, fresh checksum" bytes_ok
# tshark: ip.checksum.status 1 = good.
decoded=$(tshark_fields "$out_pcap" -o ip.check_checksum:TRUE -e ip.ttl -e ip.checksum.status -e ip.src -e ip.dst \
    -e eth.dst | sort | uniq -c | sed 's/^ *//; s/[[:space:]]\+/ /g')
if [[ $decoded == "$BURST 63 1 $SRC $DST $SINK_MAC" ]]; then
    pass "tshark: $BURST frames, TTL 63, checksum good, $SRC -> $DST, to $SINK_MAC"
else
    fail "tshark: expected '$BURST 63 1 $SRC $DST $SINK_MAC' (count, TTL, checksum good, addresses)" "$decoded"
fi

# ---- 2. rate: txonly into the router, rxonly out of it, all three read through telemetry ----
testpmd_start SINK "$SINK_PREFIX" "$LAB_TMP/sink-rx.log" "$(memif_client_vdev 1 $SINK_MAC)" -- \
    --forward-mode=rxonly --auto-start
lab_wait_for 15 link_up 1 || fail "router port out: memif link up again once the second sink connects"
testpmd_start GEN "$GEN_PREFIX" "$LAB_TMP/gen-tx.log" "$(memif_client_vdev 0 $GEN_MAC)" -- \
    --forward-mode=txonly --auto-start --tx-ip=$SRC,$DST --eth-peer=0,$R_IN_MAC
rates=$LAB_TMP/rates.json
if "$LAB_PY" "$LAB_REPO/scripts/pktgen/telemetry_rates.py" --proc gen="$GEN_PREFIX" \
    --proc router="$ROUTER_PREFIX:router" --proc sink="$SINK_PREFIX" --wait-traffic gen \
    --warmup 2 --duration 5 --json "$rates" >"$LAB_TMP/rates.txt" 2>&1; then
    sed 's/^/    /' "$LAB_TMP/rates.txt"
    summary=$("$LAB_PY" - "$rates" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
gen = r["gen"]["ports"]["0"]["opackets"]
r_in = r["router"]["ports"]["0"]["ipackets"]
r_out = r["router"]["ports"]["1"]["opackets"]
moved = r["router"]["router_per_s"]
fwd = moved.get("events.forwarded", 0)
dropped = sum(v for k, v in moved.items() if k.startswith("ports.out.tx_") or k.startswith("drops."))
sink = r["sink"]["ports"]["0"]["ipackets"]
print(f"generator sent {gen / 1e6:.3f} Mpps, router received {r_in / 1e6:.3f} and forwarded "
      f"{fwd / 1e6:.3f} Mpps ({r_out / 1e6:.3f} left port out, {dropped / 1e6:.3f} counted as dropped), "
      f"sink received {sink / 1e6:.3f} Mpps")
# What the router puts on port out's memif ring the sink takes off it: the ring loses nothing (up to
# the readings being a few microseconds apart). When the sink, which shares its CPU with the
# generator, falls behind, the ring is full and the router must count what it could not send.
near = lambda a, b: abs(a - b) <= 0.02 * max(a, b) + 1000
# (The router's own counter, where its name is still events.forwarded, may not be below port out's.)
ok = sink > 0 and near(sink, r_out) and ("events.forwarded" not in moved or r_out <= fwd * 1.02 + 1000)
sys.exit(0 if ok else 1)
EOF
)
    rc=$?
    echo "  rate: $summary"
    if ((rc == 0)); then pass "routed flood reaches the sink: what router port out sent, the sink received"
    else fail "rates disagree or nothing arrived" "$summary"; fi
else
    fail "telemetry of generator, router and sink" "$(cat "$LAB_TMP/rates.txt")"
fi
dpdk_stop "$GEN"
dpdk_stop "$SINK"
check "router stops cleanly on SIGTERM (exit 0)" dpdk_stop "$R_PID"

# A router killed outright leaves its memif socket files; the next start (systemd's Restart=) must
# remove them rather than fail its probe with "address in use" (src/dataplane/memif_socket.cpp).
"$LAB_BIN" --config "$LAB_TMP/router.yaml" >"$LAB_TMP/router2.log" 2>&1 &
R_PID=$!
lab_on_cleanup "dpdk_stop $R_PID"
dpdk_wait_telemetry "$ROUTER_PREFIX" 30 /dprouter/stats || fatal "router starts a second time"
kill -KILL "$R_PID"; wait "$R_PID" 2>/dev/null
check "SIGKILL leaves the memif socket file behind" test -S "$MEMIF_SOCK0"
dpdk_forget "$ROUTER_PREFIX"
"$LAB_BIN" --config "$LAB_TMP/router.yaml" >"$LAB_TMP/router3.log" 2>&1 &
R_PID=$!
lab_on_cleanup "dpdk_stop $R_PID"
if dpdk_wait_telemetry "$ROUTER_PREFIX" 30 /dprouter/stats; then pass "router restarts after SIGKILL on the same memif sockets"
else fail "router restarts after SIGKILL on the same memif sockets" "$(tail -5 "$LAB_TMP/router3.log")"; fi
check "it says it removed the stale socket" grep -q "removed the file a previous router left" "$LAB_TMP/router3.log"
check "router stops cleanly on SIGTERM after the restart" dpdk_stop "$R_PID"
finish
