#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# ICMP host redirects (RFC 1812 5.2.7.2, RFC 792): a datagram that leaves by the interface it came in on,
# from a source on that interface's subnet, is forwarded AND answered with a redirect 5/1 naming the
# better next hop; not when the source is off-subnet, and not when icmp_redirects is off.
# The better next hop 10.1.0.50 is a second address of h1, so the redirected traffic comes back to h1.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
GW=10.1.0.50
in_h1 ip addr add "$GW/24" dev "$DPR_IF_H1" || fatal "add $GW to h1"
cfg="$LAB_TMP/lab-redirect.yaml"
cfg_variant "$cfg" --route "10.99.0.0/16 via $GW" --route "198.51.100.0/24 via $GW"
lab_test_router "$cfg"
H1=$DPR_H1_ADDR R1=$DPR_R1_ADDR
gw_hex=0x$(printf '%02x' ${GW//./ })

redirect_round() {  # TAG: send one on-subnet and one off-subnet datagram, capture at h1
    local tag=$1
    cap="$LAB_TMP/$tag.pcap"
    start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "ether src $DPR_R1_MAC and (icmp or dst net 10.99.0.0/16)" || fatal "tcpdump"
    px_h1 --save "$LAB_TMP/$tag.hex" --ip "IP(dst='10.99.0.1', id=6001, ttl=9)/UDP(sport=7001, dport=9)/Raw(b'r'*40)"
    px_h1 --ip "IP(src='198.51.100.7', dst='10.99.0.2', id=6002)/UDP(sport=7002, dport=9)/Raw(b's'*40)"
    stop_capture
}
fwd_count() { tshark_fields "$1" -Y "ip.dst == 10.99.0.1 && !icmp" -e ip.ttl | grep -c .; }

redirect_round on
out=$(icmp_check --pcap "$cap" --type 5 --code 1 --count 1 --src "$R1" --dst "$H1" --word2 "$gw_hex" --sent "$LAB_TMP/on.hex" 2>&1)
if [[ $? -eq 0 ]]; then pass "host redirect 5/1 to $H1 naming gateway $GW, from $R1, quote as arrived"; else fail "expected one host redirect naming $GW" "$out"$'\n'"$(icmp_check --pcap "$cap" --list 2>&1)"; fi
ttl=$(tshark_fields "$cap" -Y "ip.dst == 10.99.0.1 && !icmp" -e ip.ttl)
if [[ "$ttl" == 8 ]]; then pass "the redirected datagram is still forwarded (back out lan, TTL 9 -> 8)"; else fail "the redirected datagram should still be forwarded with TTL 8" "ttl seen: '$ttl'"; fi
n2=$(tshark_fields "$cap" -Y "ip.dst == 10.99.0.2 && !icmp" -e ip.ttl | grep -c .)
if ((n2 == 1)); then pass "off-subnet source: forwarded"; else fail "off-subnet source datagram should be forwarded once, seen $n2"; fi
n5=$(icmp_check --pcap "$cap" --list | grep -c "^icmp 5/")
if ((n5 == 1)); then pass "off-subnet source (198.51.100.7): no redirect"; else fail "expected only the one redirect (none for the off-subnet source)" "$(icmp_check --pcap "$cap" --list)"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop

# icmp_redirects: false on lan
cfg2="$LAB_TMP/lab-noredirect.yaml"
cfg_variant "$cfg2" --route "10.99.0.0/16 via $GW" --route "198.51.100.0/24 via $GW" --iface-opt lan icmp_redirects=false
ROUTER_LOG="$LAB_TMP/router-noredirect.log"
lab_test_router "$cfg2"
redirect_round off
n5=$(icmp_check --pcap "$cap" --list | grep -c "^icmp 5/")
if ((n5 == 0)); then pass "icmp_redirects: false: no redirect"; else fail "icmp_redirects: false, yet a redirect was sent" "$(icmp_check --pcap "$cap" --list)"; fi
if (($(fwd_count "$cap") == 1)); then pass "icmp_redirects: false: still forwarded"; else fail "icmp_redirects: false: the datagram should still be forwarded"; fi
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
