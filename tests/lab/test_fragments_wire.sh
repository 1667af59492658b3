#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# Fragments exactly as they were on the wire: the router must see each one alone (the lab's default
# net_af_xdp ports deliver every frame unchanged; net_af_packet would hand over only reassembled
# datagrams, and a lone fragment never, so this test fails with DPR_LAB_PMD=af_packet on purpose).
# With the wan link at 1300 (both ends):
#   * a fragment that fits is forwarded alone, every byte but TTL and checksum unchanged;
#   * first, middle and last fragments of 1400 bytes (DF clear) are re-fragmented (RFC 791, RFC 1812
#     5.2.6): offsets keep their base, MF stays on every piece of a non-last fragment, the pieces carry
#     the original's bytes (frag_check.py compares them);
#   * TTL 1: a first fragment gets a time exceeded quoting it (RFC 1812 5.3.1); a later fragment is
#     dropped without any ICMP (RFC 792 and RFC 1812 4.3.2.7: errors only about fragment zero).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
MTU=1300
in_h2 ip link set "$DPR_IF_H2" mtu $MTU   # one link, one MTU: the router sets r-h2 to 1300 as well
cfg="$LAB_TMP/lab-mtu.yaml"
cfg_variant "$cfg" --mtu wan=$MTU
lab_test_router "$cfg"
H2=$DPR_H2_ADDR R1=$DPR_R1_ADDR
echo "  (router ports: net_$DPR_LAB_PMD)"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$H2" 2
have_tel=0; tel_snapshot "$LAB_TMP/t0.json" && have_tel=1

# --- a fragment that fits the wan: forwarded as it is ---------------------------------------------
cap="$LAB_TMP/fit.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ip and src host $DPR_H1_ADDR" || fatal "tcpdump"
px_h1 --save "$LAB_TMP/fit.hex" --ip "IP(dst='$H2', id=4200, flags='MF', frag=0)/UDP(sport=6000, dport=9)/Raw(b'f'*592)"
stop_capture
out=$(sendf "$DPR_NS_H1" verify --saved "$LAB_TMP/fit.hex" --pcap "$cap" 2>&1)
if [[ $? -eq 0 ]]; then pass "a lone first fragment of 620 bytes reaches h2 alone, only TTL and checksum changed"; else fail "a lone fragment that fits: expected it at h2 unchanged but for TTL" "$out"; fi

# --- fragments bigger than the wan: re-fragmented -------------------------------------------------
cap="$LAB_TMP/refrag.pcap" sent="$LAB_TMP/refrag.hex"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ip and src host $DPR_H1_ADDR" || fatal "tcpdump"
px_h1 --save "$sent" \
    --ip "IP(dst='$H2', id=4201, flags='MF', frag=0)/UDP(sport=6001, dport=9)/Raw(bytes(range(256))*5 + b'x'*92)" \
    --ip "IP(dst='$H2', id=4202, flags='MF', frag=185, proto=17)/Raw(b'm'*1380)" \
    --ip "IP(dst='$H2', id=4203, flags=0, frag=370, proto=17)/Raw(b'l'*1380)"
stop_capture
out=$(frag_check --pcap "$cap" --sent "$sent" --mtu $MTU 2>&1)
if [[ $? -eq 0 ]]; then pass "1400-byte first, middle and last fragments re-fragmented for $MTU: offsets keep their base, MF kept on pieces of non-last fragments, bytes intact"; else fail "re-fragmenting fragments (nothing at h2 means the ports reassemble)" "$out"; fi

# --- TTL 1: time exceeded about the first fragment only -------------------------------------------
cap="$LAB_TMP/ttl.pcap" cap2="$LAB_TMP/ttl-h2.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap2" "ip and src host $DPR_H1_ADDR" || fatal "tcpdump"
CAP2_PID=$CAPTURE_PID; CAPTURE_PID=""   # two captures at once: keep the h2 one's pid aside
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "icmp and ether src $DPR_R1_MAC" || fatal "tcpdump"
px_h1 --ip "IP(dst='$H2', id=4301, ttl=1, flags='MF', frag=100, proto=17)/Raw(b'n'*64)"
px_h1 --save "$LAB_TMP/first.hex" --ip "IP(dst='$H2', id=4302, ttl=1, flags='MF', frag=0)/UDP(sport=6008, dport=9)/Raw(b'n'*64)"
stop_capture
CAPTURE_PID=$CAP2_PID; stop_capture
out=$(icmp_check --pcap "$cap" --type 11 --code 0 --count 1 --src "$R1" --dst "$DPR_H1_ADDR" --sent "$LAB_TMP/first.hex" 2>&1)
if [[ $? -eq 0 ]]; then pass "TTL 1 first fragment: one time exceeded 11/0 from $R1 quoting it as it arrived"; else fail "TTL 1 first fragment: expected one time exceeded quoting it" "$out"$'\n'"$(icmp_check --pcap "$cap" --list 2>&1)"; fi
# ip.id matches the quoted header too: no ICMP may quote the later fragment (id 4301).
about_later=$(tshark_fields "$cap" -Y "icmp && ip.id == 4301" -e frame.number)
if [[ -z "$about_later" ]]; then pass "TTL 1 later fragment (offset 800): no ICMP about it"; else fail "ICMP about the later fragment (RFC 1812 4.3.2.7: only about fragment zero)" "$(icmp_check --pcap "$cap" --list)"; fi
leaked=$(tshark_fields "$cap2" -Y "ip.id == 4301 || ip.id == 4302" -e ip.id)
if [[ -z "$leaked" ]]; then pass "TTL 1 fragments not forwarded"; else fail "TTL 1 fragments reached h2" "$leaked"; fi

if ((have_tel)) && tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.fragmented 3 3
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" events.fragments_created 6 6
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ttl_expired 2 2
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" icmp_suppressed_reason.offender_fragment 1 1
fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop

# --- the router says at start which ports reassemble ----------------------------------------------
warn="af_packet port: the kernel reassembles IPv4 fragments"
if [[ $DPR_LAB_PMD == af_packet ]]; then
    check "af_packet ports: the router warns at start that they reassemble fragments" grep -q "$warn" "$ROUTER_LOG"
else
    check_not "net_$DPR_LAB_PMD ports: no reassembly warning" grep -q "$warn" "$ROUTER_LOG"
    ROUTER_LOG="$LAB_TMP/router-af_packet.log"
    DPR_LAB_PMD=af_packet
    lab_test_router "$cfg"
    n=$(grep -c "interface '[a-z]*': $warn" "$ROUTER_LOG")
    if ((n == 2)); then pass "af_packet ports: the router warns at start, once per port, that they reassemble fragments"; else fail "expected the reassembly warning for lan and wan on af_packet ports" "$(head -n 30 "$ROUTER_LOG")"; fi
    check "router (af_packet) stops cleanly on SIGTERM (exit 0)" router_stop
fi
finish
