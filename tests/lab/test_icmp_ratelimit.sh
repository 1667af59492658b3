#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# ICMP error rate limiting (RFC 1812 4.3.2.8; icmp.rate_limit in the config): a TTL=1 flood gets a burst
# and then the configured rate of time exceeded, forwarding carries on meanwhile, traceroute works again
# right after, the global bucket caps everything, and frag needed has its own budget.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
H1=$DPR_H1_ADDR H2=$DPR_H2_ADDR R1=$DPR_R1_ADDR
N=1000

# flood_round TAG [SPREAD]: TTL=1 flood of N datagrams from h1 (over SPREAD s) while h2 pings h1;
# sets n_err (time exceeded seen at h1), elapsed (s), ping_out.
flood_round() {
    local tag=$1 spread=${2:-0}
    cap="$LAB_TMP/$tag.pcap"
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC and icmp[icmptype] = icmp-timxceed" || fatal "tcpdump"
    in_h2 ping -n -c 40 -i 0.05 -W 1 "$H1" >"$LAB_TMP/$tag.ping" 2>&1 &
    local ppid=$!
    local out
    out=$(sendf "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" --repeat $N --spread "$spread" \
        --ip "IP(dst='$H2', ttl=1)/UDP(sport=7100, dport=33434)/Raw(b'f'*32)" 2>&1) || fatal "flood sender failed" "$out"
    elapsed=$(sed -n 's/^elapsed //p' <<<"$out")
    wait $ppid
    sleep 0.5
    stop_capture
    n_err=$(tshark_fields "$cap" -e frame.number | grep -c .)
    ping_out=$(cat "$LAB_TMP/$tag.ping")
    echo "  ($tag: $N TTL=1 datagrams in ${elapsed:-?} s -> $n_err time exceeded)"
}
# within MIN MAX VALUE
within() { (($3 >= $1 && $3 <= $2)); }

# --- per destination: 10/s, burst 10 (lab.yaml) ---------------------------------------------------
lab_test_router
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
sleep 1.2
flood_round perdest 2
[[ -n "$elapsed" ]] || fail "flood did not run" "$out"
# burst 10, then 10/s: about 10 + 10 * elapsed
min=$(awk -v t="${elapsed:-1}" 'BEGIN { printf "%d", 10 + 10 * t - 4 }')
max=$(awk -v t="${elapsed:-1}" 'BEGIN { printf "%d", 10 + 10 * (t + 0.3) + 3 }')
if within "$min" "$max" "$n_err"; then pass "per-destination limit: $n_err errors for $N datagrams over ${elapsed}s (burst 10 + 10/s: $min..$max)"; else fail "per-destination limit: $n_err time exceeded for $N datagrams over ${elapsed}s; expected $min..$max (burst 10 + 10/s)"; fi
if grep -qE " 0% packet loss| [0-4]% packet loss" <<<"$ping_out"; then pass "forwarding h2 -> h1 carried on during the flood ($(grep -o '[0-9]*% packet loss' <<<"$ping_out"))"; else fail "forwarding suffered during the flood" "$ping_out"; fi
sleep 1.5
out=$(in_h1 timeout 30 traceroute -n -q 3 -w 2 -m 3 "$H2" 2>&1)
hop1=$(awk '$1 == "1"' <<<"$out")
if [[ "$hop1" == *"$R1"* && "$hop1" != *"*"* ]] && grep -q "^ 2  $H2" <<<"$out"; then pass "traceroute whole right after the flood"; else fail "traceroute after the flood" "$out"; fi
if tel_snapshot "$LAB_TMP/t.json"; then
    # Every transit TTL expiry either got an error or was suppressed for a reason. (A
    # burst this fast may overflow the RX ring before the router sees it: ttl_expired < N.)
    read -r te sent sup_d sup_g < <("$LAB_PY" -c "
import json,sys; d=[json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')][0]['/dprouter/stats']
print(d['drops']['ttl_expired'], d['icmp_sent']['time_exceeded'], d['icmp_suppressed_reason']['rate_destination'], d['icmp_suppressed_reason']['rate_global'])" "$LAB_TMP/t.json")
    if [[ -n "${sup_g:-}" ]] && ((te == sent + sup_d + sup_g && sup_d > 0)); then
        pass "telemetry: ttl_expired $te = time_exceeded sent $sent + suppressed (per destination $sup_d, global $sup_g)"
    else
        fail "telemetry: ttl_expired should equal time_exceeded sent + suppressed by rate" "ttl_expired=$te sent=$sent rate_destination=$sup_d rate_global=$sup_g"
    fi
    ((te < N)) && echo "  (note: the router saw $te of the $N flood datagrams; the rest overflowed the RX ring)"
fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop

# --- global: 20/s, burst 5, per destination out of the way ----------------------------------------
cfg="$LAB_TMP/lab-global.yaml"
cfg_variant "$cfg" --mtu wan=1300 --rate global 20 5 --rate per_destination 100000 100000
in_h2 ip link set "$DPR_IF_H2" mtu 1300 || fatal "set h2 mtu 1300"
ROUTER_LOG="$LAB_TMP/router-global.log"
lab_test_router "$cfg"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
flood_round global 1
min=$(awk -v t="${elapsed:-1}" 'BEGIN { printf "%d", 5 + 20 * t - 5 }')
max=$(awk -v t="${elapsed:-1}" 'BEGIN { printf "%d", 5 + 20 * (t + 0.3) + 3 }')
if within "$min" "$max" "$n_err"; then pass "global limit: $n_err errors for $N datagrams over ${elapsed}s (burst 5 + 20/s: $min..$max)"; else fail "global limit: $n_err time exceeded over ${elapsed}s; expected $min..$max (burst 5 + 20/s)"; fi

# frag needed has its own bucket: right after the flood spent the global one, all 20 are answered
cap="$LAB_TMP/fn.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
px_h1 --repeat 20 --ip "IP(dst='$H2', flags='DF')/UDP(sport=7101, dport=9)/Raw(b'd'*1400)" --inter 0
sleep 0.3
stop_capture
out=$(icmp_check --pcap "$cap" --type 3 --code 4 --count 20 --src "$R1" --word2 0x00000514 2>&1)
if [[ $? -eq 0 ]]; then pass "frag needed not held back by the spent global bucket (20 of 20)"; else fail "frag needed should have its own budget: expected 20" "$(tail -n 3 <<<"$out")"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
