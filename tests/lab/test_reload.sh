#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# SIGHUP reloads the config file: new routes take effect, a file that fails validation changes nothing
# (the router keeps running on the old tables), and forwarding carries on across reloads.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H2=$DPR_H2_ADDR
lab_test_router
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2

# pings h1 -> h2 all along (the reloads must not interrupt forwarding)
in_h1 ping -n -i 0.1 -W 1 -w 30 -c 150 "$H2" >"$LAB_TMP/bg.ping" 2>&1 &
bg=$!

# 1. add a prohibit route and drop the unreachable one
v1="$LAB_TMP/v1.yaml"
cfg_variant "$v1" --route "10.77.0.0/16 prohibit"
cfg_edit "$v1" '/10.66.0.0\/16/d'    # flow-style route lines: one line each
grep -q "10.66.0.0" "$v1" && fail "could not drop the 10.66.0.0/16 route from the variant" "$(cat "$v1")"
check "SIGHUP with a valid new file: reloaded, router keeps running" router_reload "$v1"
ok=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
    out=$(in_h1 ping -n -c 1 -W 1 10.77.0.1 2>&1)
    grep -q "Packet filtered" <<<"$out" && { ok=1; break; }
    sleep 0.3
done
if ((ok)); then pass "after reload: 10.77.0.0/16 prohibited (Packet filtered)"; else fail "after reload: ping 10.77.0.1 should say Packet filtered" "$out"; fi
sleep 1.1
out=$(in_h1 ping -n -c 1 -W 1 10.66.0.1 2>&1)
if grep -q "Destination Net Unreachable" <<<"$out"; then pass "after reload: 10.66.0.0/16 gone (net unreachable instead of host unreachable)"; else fail "after reload: 10.66.0.1 should be net unreachable" "$out"; fi

# 2. an invalid file changes nothing
bad="$LAB_TMP/bad.yaml"
cp "$v1" "$bad"
printf 'no_such_key: 1\n' >>"$bad"
log_before=$(wc -l <"$ROUTER_LOG")
check "SIGHUP with an invalid file: refused, router keeps running" router_reload_refused "$bad"
newlog=$(tail -n +"$((log_before + 1))" "$ROUTER_LOG")
if grep -qi "error" <<<"$newlog"; then pass "the invalid file is reported in the log"; else fail "nothing about the invalid file in the log" "$newlog"; fi
sleep 1.1
out=$(in_h1 ping -n -c 1 -W 1 10.77.0.1 2>&1)
if grep -q "Packet filtered" <<<"$out"; then pass "after the failed reload the old tables stay (10.77.0.1 still filtered)"; else fail "after a failed reload, 10.77.0.1 should still be filtered" "$out"; fi

# 3. static neighbour added by reload: h2 stops answering ARP, traffic continues
v3="$LAB_TMP/v3.yaml"
cfg_variant "$v3" --route "10.77.0.0/16 prohibit" --neighbor "$H2" "$DPR_H2_MAC" wan
cfg_edit "$v3" '/10.66.0.0\/16/d'
check "SIGHUP adding a static neighbour: reloaded" router_reload "$v3"
# (h2 answered ARP until now, so the ping below could pass on the learnt entry alone.)
static_h2() { tel_query /dprouter/neighbors | grep -q "\"$H2 $DPR_H2_MAC [a-z]* static dev wan "; }
if [[ -z "${LAB_SKIP_TELEMETRY:-}" ]]; then
    check "telemetry /dprouter/neighbors: $H2 is static after the reload" lab_wait_for 3 static_h2
fi

wait $bg
bgout=$(cat "$LAB_TMP/bg.ping")
loss=$(grep -o '[0-9.]*% packet loss' <<<"$bgout")
if grep -q " 0% packet loss" <<<"$bgout"; then pass "forwarding uninterrupted across three reloads ($loss)"; else fail "pings h1 -> h2 lost across reloads" "$(tail -n 3 <<<"$bgout")"; fi

in_h2 ip link set "$DPR_IF_H2" arp off &&
    in_h2 ip neigh replace "$DPR_R2_ADDR" lladdr "$DPR_R2_MAC" dev "$DPR_IF_H2" nud permanent || fatal "h2: arp off"
check "with the reloaded static neighbour and h2 silent on ARP, ping h1 -> h2 still works" ping_ok "$DPR_NS_H1" "$H2" 3
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
