#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG: read by scripts/lab-lib.sh
# Reload under load: a numbered UDP stream h1 -> h2 (RELOAD_LOAD_PPS, default 2000 datagrams/s) keeps
# flowing while the router gets 100 SIGHUPs, alternating a valid changed file (two variants in turn) and
# an invalid one (an unknown key, broken YAML, a change that needs a restart), each one waited for until
# the router logs its verdict. Then: the receiver counted every datagram sent (0 lost, no duplicates);
# the router's counters add up (every datagram forwarded once, no drops, lan rx accounted for by
# forwarded + local + ARP); the router still runs; every mempool is back to its idle in-use count.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H2=$DPR_H2_ADDR
PORT=9400
PPS=${RELOAD_LOAD_PPS:-2000}
RELOADS=${RELOAD_LOAD_COUNT:-100}

# Two valid variants that differ (routes, rate limits, MTUs, a static neighbour for h2 that comes and
# goes: removing it once made the router forget h2's MAC and drop what overflowed the ARP hold queue),
# and three ways to be refused.
va="$LAB_TMP/valid-a.yaml" vb="$LAB_TMP/valid-b.yaml"
cfg_variant "$va" --route "10.77.0.0/16 prohibit" --neighbor "$H2" "$DPR_H2_MAC" wan
cfg_variant "$vb" --route "10.78.0.0/16 blackhole" --rate global 500 20 --mtu wan=1400 --mtu lan=1480
bad=("$LAB_TMP/bad-key.yaml" "$LAB_TMP/bad-yaml.yaml" "$LAB_TMP/bad-restart.yaml")
cp "$va" "${bad[0]}" && printf 'no_such_key: 1\n' >>"${bad[0]}" || fatal "write ${bad[0]}"
cp "$va" "${bad[1]}" && printf 'routes: [ {prefix: 10.9.0.0/16\n' >>"${bad[1]}" || fatal "write ${bad[1]}"
cfg_variant "${bad[2]}" --set dpdk.workers=2
check "the valid variants pass --check" bash -c "'$LAB_BIN' --config '$va' --check && '$LAB_BIN' --config '$vb' --check"
check_not "the unknown-key variant fails --check" "$LAB_BIN" --config "${bad[0]}" --check
check_not "the broken-YAML variant fails --check" "$LAB_BIN" --config "${bad[1]}" --check

lab_test_router "$va"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
check "warm-up ping h2 -> h1" ping_ok "$DPR_NS_H2" "$DPR_H1_ADDR" 2
[[ -z "${LAB_SKIP_TELEMETRY:-}" ]] || { echo "  (needs telemetry; LAB_SKIP_TELEMETRY is set)"; finish; }

# mempools FILE: /dprouter/mempools as JSON; in_use_over BASE NOW: the pools whose in_use is above BASE's.
mempools() { tel_query /dprouter/mempools >"$1" && grep -q '"/dprouter/mempools"' "$1"; }
in_use_over() {
    "$LAB_PY" - "$1" "$2" <<'PY'
import json, sys
base, now = (json.load(open(f))["/dprouter/mempools"] for f in sys.argv[1:3])
over = [f"{n}: in_use {p['in_use']} (idle {base[n]['in_use']}, size {p['size']})"
        for n, p in now.items() if n in base and p["in_use"] > base[n]["in_use"]]
print("; ".join(over) if over else ", ".join(f"{n} {p['in_use']}/{p['size']} in use" for n, p in now.items()))
sys.exit(1 if over else 0)
PY
}
sleep 0.5
mempools "$LAB_TMP/pools0.json" || fatal "telemetry /dprouter/mempools" "$(cat "$LAB_TMP/pools0.json")"
tel_snapshot "$LAB_TMP/t0.json" || fatal "telemetry /dprouter/stats" "$(cat "$LAB_TMP/t0.json")"
echo "  (idle mempools: $(in_use_over "$LAB_TMP/pools0.json" "$LAB_TMP/pools0.json"))"

# The stream: receiver in h2 first, then the sender in h1 until the stop file appears.
stream() { ip netns exec "$1" "$LAB_PY" "$LAB_TEST_DIR/udp_stream.py" "${@:2}"; }
stream "$DPR_NS_H2" recv --port $PORT --ready "$LAB_TMP/ready" --idle 3 >"$LAB_TMP/recv.json" 2>&1 &
rx_pid=$!
lab_on_cleanup "kill $rx_pid"
lab_wait_for 10 test -e "$LAB_TMP/ready" || fatal "UDP receiver in $DPR_NS_H2 did not start" "$(cat "$LAB_TMP/recv.json")"
stream "$DPR_NS_H1" send --dst "$H2" --port $PORT --rate "$PPS" --stop "$LAB_TMP/stop" >"$LAB_TMP/send.json" 2>&1 &
tx_pid=$!
lab_on_cleanup "touch $LAB_TMP/stop; kill $tx_pid"
sleep 1

# 100 SIGHUPs, each waited for until the router says "configuration reloaded" / "reload rejected".
applied=0 refused=0 wrong=()
t_reload=$SECONDS
for ((i = 1; i <= RELOADS; i++)); do
    if ((i % 2)); then
        if ((i % 4 == 1)); then f=$vb; else f=$va; fi
        if router_reload "$f" 5; then applied=$((applied + 1)); else wrong+=("#$i $(basename "$f"): $ROUTER_RELOAD"); fi
    else
        f=${bad[$(((i / 2) % 3))]}
        if router_reload_refused "$f" 5; then refused=$((refused + 1)); else wrong+=("#$i $(basename "$f"): $ROUTER_RELOAD"); fi
    fi
    router_alive || break
    sleep 0.05
done
t_reload=$((SECONDS - t_reload))
sleep 1
touch "$LAB_TMP/stop"
wait "$tx_pid"
wait "$rx_pid"
echo "  ($RELOADS reloads in ${t_reload} s; sender: $(cat "$LAB_TMP/send.json"); receiver: $(cat "$LAB_TMP/recv.json"))"

if ((applied == (RELOADS + 1) / 2 && refused == RELOADS / 2)); then
    pass "$RELOADS SIGHUPs: $applied valid files applied, $refused invalid ones refused, each with its verdict logged"
else
    fail "SIGHUPs: $applied applied (expected $(((RELOADS + 1) / 2))), $refused refused (expected $((RELOADS / 2)))" "$(printf '%s\n' "${wrong[@]:0:10}")"
fi
check "the router still runs after $RELOADS reloads" router_alive

sent=$("$LAB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sent"])' "$LAB_TMP/send.json" 2>/dev/null)
read -r got dups < <("$LAB_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["received"], d["duplicates"])' "$LAB_TMP/recv.json" 2>/dev/null)
if [[ "$sent" =~ ^[0-9]+$ && "${got:-}" =~ ^[0-9]+$ ]] && ((sent > PPS)); then
    if ((got == sent && dups == 0)); then
        pass "0 lost: h2 received all $sent datagrams sent at $PPS/s during the reloads, no duplicates"
    else
        fail "datagrams lost during the reloads: sent $sent, h2 received $got (duplicates $dups)" "$(cat "$LAB_TMP/recv.json")"$'\n'"r-h1 kernel rx (af_packet ring drops show here): $(in_r ip -s link show "$DPR_IF_R1" | sed -n '4p')"
    fi
else
    fail "the UDP stream did not run" "sender: $(cat "$LAB_TMP/send.json")"$'\n'"receiver: $(cat "$LAB_TMP/recv.json")"
fi

tel_snapshot "$LAB_TMP/t1.json" || fail "telemetry /dprouter/stats after the reloads" "$(cat "$LAB_TMP/t1.json")"
out=$("$LAB_PY" - "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" "${sent:-0}" "${got:-0}" <<'PY'
import json, sys
def load(f):
    return next(json.loads(l)["/dprouter/stats"] for l in open(f) if l.startswith("{"))
a, b = load(sys.argv[1]), load(sys.argv[2])
sent, got = int(sys.argv[3]), int(sys.argv[4])
def d(*keys):
    x, y = a, b
    for k in keys:
        x, y = x[k], y[k]
    return y - x
fwd = d("events", "forwarded")
local = d("events", "local_delivered")
arp_ans = d("events", "arp_requests_answered")
arp_req = d("arp", "requests_sent")
# Packets the resolver dropped while waiting for ARP are counted there, not under drops.
arp_lost = {k: d("arp", k) for k in ("hold_dropped", "failed_dropped") if d("arp", k)}
drops = {k: b["drops"][k] - a["drops"][k] for k in b["drops"] if b["drops"][k] != a["drops"][k]}
rx = sum(d("ports", p, "rx") for p in b["ports"])
wan_tx, tx_drop = d("ports", "wan", "tx"), sum(d("ports", p, "tx_dropped") for p in b["ports"])
# Every frame in counts one outcome (docs/architecture.md, "The identity the counters keep"); local
# includes the ARP requests answered ({arp_ans}) and the replies to the router's own requests.
rest = rx - fwd - local - sum(drops.values())
print(f"rx {rx} = forwarded {fwd} + local {local} (ARP requests answered {arp_ans}) + drops {sum(drops.values())}"
      f" + {rest} unaccounted (router sent {arp_req} ARP requests); wan tx {wan_tx}; tx_dropped {tx_drop};"
      f" drops {drops}; ARP hold losses {arp_lost}")
ok = (fwd == sent and fwd >= got and not drops and not arp_lost and rest == 0 and wan_tx >= fwd
      and tx_drop == 0)
sys.exit(0 if ok else 1)
PY
)
if [[ $? -eq 0 ]]; then pass "counters consistent: $out"; else fail "counters inconsistent (expected forwarded = $sent sent, no drops)" "$out"; fi

# Every mempool back to its idle in-use count (give the workers' last bursts a moment). An af_xdp
# port frees the mbufs it sent when it next sends (DPDK 22.11 af_xdp_tx_zc reaps its completion ring
# at the start of the following transmit), so each port holds its last TX batch: the idle count was
# taken after single-frame pings, and a single-frame ping h1 -> h2 before each reading puts both
# ports back in that state (a last batch of 4 once read as 3 mbufs "leaked").
ok=0
for _ in $(seq 20); do
    ip netns exec "$DPR_NS_H1" ping -n -c 1 -W 1 "$H2" >/dev/null 2>&1
    mempools "$LAB_TMP/pools1.json" && in_use_over "$LAB_TMP/pools0.json" "$LAB_TMP/pools1.json" >"$LAB_TMP/pools.txt" && { ok=1; break; }
    sleep 0.25
done
if ((ok)); then pass "every mempool full again: $(cat "$LAB_TMP/pools.txt")"; else
    fail "mempools not back to their idle in-use count (leak)" "$(cat "$LAB_TMP/pools.txt" "$LAB_TMP/pools1.json" 2>&1)"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
