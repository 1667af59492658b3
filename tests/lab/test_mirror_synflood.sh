#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# control_plane.mirror under a SYN flood to a router address (docs/control-plane.md "Punt path"):
# the punt queue is bounded, so what the control thread cannot write to the mirror is dropped and
# counted (drops.punt_queue_full) at the worker, while the worker goes on forwarding: h1 <-> h2
# pings during the flood are answered, and once it stops the kernel's listener is reachable again.
set -u
# net_af_packet ports, as in test_mirror_interfaces.sh (see there and docs/control-plane.md).
: "${DPR_LAB_PMD:=af_packet}"
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

cfg="$LAB_TMP/mirror.yaml"
{ cat "$LAB_CONFIG"; printf 'control_plane:\n  mirror: true\n'; } >"$cfg"
in_r ip link set "$DPR_IF_R1" arp off && in_r ip link set "$DPR_IF_R2" arp off || fatal "arp off on the veths"
lab_test_router "$cfg"

ready="$LAB_TMP/tcp.ready"
in_r "$LAB_PY" "$LAB_TEST_DIR/tcp_transfer.py" serve --port 7179 --ready "$ready" --max 120 \
    >"$LAB_TMP/tcp_server.log" 2>&1 &
lab_on_cleanup "kill $!"
lab_wait_for 10 test -e "$ready" || fatal "TCP listener in $DPR_NS_R did not start"
transfer() {
    ip netns exec "$DPR_NS_H1" "$LAB_PY" "$LAB_TEST_DIR/tcp_transfer.py" send --dst "$DPR_R1_ADDR" --port 7179 --bytes 200000
}
check "before the flood: h1 -> $DPR_R1_ADDR:7179 (kernel listener)" transfer

before="$LAB_TMP/before.json"
after="$LAB_TMP/after.json"
tel_snapshot "$before" || fatal "telemetry snapshot"

# The flood, from h1 to the kernel's port 179 (nothing listens: every SYN costs the kernel a reset),
# with pings h1 -> h2 through the dataplane meanwhile. Several senders, so that the flood outruns
# the control thread even on a busy machine.
flood_seconds=4
pids=()
for i in 1 2 3; do
    ip netns exec "$DPR_NS_H1" "$LAB_PY" "$LAB_TEST_DIR/syn_flood.py" --iface "$DPR_IF_H1" --src-mac "$DPR_H1_MAC" \
        --dst-mac "$DPR_R1_MAC" --src "$DPR_H1_ADDR" --dst "$DPR_R1_ADDR" --dport 179 --seconds "$flood_seconds" \
        >"$LAB_TMP/flood$i.json" 2>&1 &
    pids+=($!)
    lab_on_cleanup "kill $!"
done
sleep 0.5
pings=$(ip netns exec "$DPR_NS_H1" ping -n -c 20 -i 0.1 -W 1 "$DPR_H2_ADDR" 2>&1)
for p in "${pids[@]}"; do wait "$p"; done
sent=0
for i in 1 2 3; do
    n=$(grep -o '"sent": [0-9]*' "$LAB_TMP/flood$i.json" | grep -o '[0-9]*$')
    sent=$((sent + ${n:-0}))
done
echo "      flood: $sent SYNs in ${flood_seconds}s ($(cat "$LAB_TMP"/flood*.json | tr '\n' ' '))"
received=$(grep -o '[0-9]* received' <<<"$pings" | grep -o '^[0-9]*')
if [[ -n "$received" && "$received" -ge 18 ]]; then
    pass "h1 -> h2 pings during the flood: $received of 20 answered"
else
    fail "h1 -> h2 pings during the flood: ${received:-0} of 20 answered, expected at least 18" "$pings"
fi

tel_snapshot "$after" || fatal "telemetry snapshot"
punted=$(tel_delta "$before" "$after" events.punted)
dropped=$(tel_delta "$before" "$after" drops.punt_queue_full)
forwarded=$(tel_delta "$before" "$after" events.forwarded)
echo "      punted $punted, punt_queue_full $dropped, forwarded $forwarded"
if [[ "${dropped:-0}" -gt 0 && "${punted:-0}" -gt 0 ]]; then
    pass "flood: $punted SYNs punted, $dropped dropped at the punt queue (punt_queue_full)"
else
    fail "flood: expected punted > 0 and punt_queue_full > 0, got punted=${punted:-?} punt_queue_full=${dropped:-?}"
fi
check "the router still runs" router_alive
sleep 1
check "after the flood: h1 -> $DPR_R1_ADDR:7179 (kernel listener) again" transfer
check "router namespace: net.ipv4.ip_forward still 0" bash -c "[[ \$(ip netns exec $DPR_NS_R cat /proc/sys/net/ipv4/ip_forward) == 0 ]]"
finish
