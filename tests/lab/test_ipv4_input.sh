#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# RFC 1812 5.2.2/5.3.7 input checks with crafted datagrams from h1 (scapy): malformed headers, martian
# sources and destinations, broadcasts and multicasts, TTL expiry; and that forwarded datagrams leave with
# every byte but TTL and checksum unchanged (IP options included). Runs on lab.yaml plus routes for
# everything via h2 (two /1 halves, so this does not depend on the default route, which test_routes
# covers), so that whatever is wrongly forwarded shows up in the capture on h2. (Fragments are in
# test_fragments_wire.sh.)
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

cfg="$LAB_TMP/lab-all-via-h2.yaml"
cfg_variant "$cfg" --route "0.0.0.0/1 via $DPR_H2_ADDR" --route "128.0.0.0/1 via $DPR_H2_ADDR"
lab_test_router "$cfg"
check "warm-up ping h1 -> h2" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 2
check "warm-up ping h2 -> h1" ping_ok "$DPR_NS_H2" "$DPR_H1_ADDR" 2

px() { sendf "$DPR_NS_H1" pkt --iface "$DPR_IF_H1" --dst-mac "$DPR_R1_MAC" "$@" || fatal "send_frames.py pkt failed: $*"; }
H2=$DPR_H2_ADDR
E="ICMP(type=8, id=77)/Raw(b'dprouter-lab-payload')"

have_tel=0
if tel_snapshot "$LAB_TMP/t0.json"; then have_tel=1; fi
cap="$LAB_TMP/h2.pcap"
start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ip" || fatal "tcpdump on $DPR_IF_H2"

# Datagrams that must be forwarded unchanged (except TTL and checksum); their IP ids are 1xx.
good="$LAB_TMP/good.hex"
px --save "$good" \
    --ip "IP(dst='$H2', id=101)/$E" \
    --ip "IP(dst='$H2', id=102, options=[IPOption(b'\\x9e\\x04\\x00\\x00')])/$E" \
    --ip "IP(dst='$H2', id=103, tos=0xb8, flags='DF')/UDP(sport=4000, dport=9)/Raw(b'x'*300)" \
    --ip "IP(dst='$H2', id=104, ttl=2)/$E" \
    --ip "IP(dst='$H2', id=105, ttl=255)/TCP(sport=4001, dport=80, flags='S')" \
    --ip "IP(dst='$H2', id=107, proto=253)/Raw(b'z'*11)" \
    --ip "IP(dst='192.0.2.55', id=108)/$E" >/dev/null
# Trailing Ethernet padding is not an error (trim it): a 1-byte UDP payload padded to 60 bytes.
px --save "$good" --pad 17 --ip "IP(dst='$H2', id=109)/UDP(sport=4003, dport=9)/Raw(b'p')" >/dev/null

# Datagrams that must not be forwarded; their IP ids are 2xx.
px --ip "IP(dst='$H2', id=201, len=200)/$E" \
   --ip "IP(dst='$H2', id=202, version=6)/$E" \
   --ip "IP(dst='$H2', id=203, ihl=4)/$E" \
   --ip "IP(dst='$H2', id=204, len=16)/$E" \
   --ip "IP(dst='$H2', id=205, src='127.0.0.1')/$E" \
   --ip "IP(dst='$H2', id=206, src='0.0.0.5')/$E" \
   --ip "IP(dst='$H2', id=207, src='224.0.0.5')/$E" \
   --ip "IP(dst='$H2', id=208, src='255.255.255.255')/$E" \
   --ip "IP(dst='$H2', id=209, src='240.0.0.1')/$E" \
   --ip "IP(dst='127.0.0.1', id=210)/$E" \
   --ip "IP(dst='0.0.0.1', id=211)/$E" \
   --ip "IP(dst='240.0.0.1', id=212)/$E" \
   --ip "IP(dst='224.1.2.3', id=213)/UDP(sport=4004, dport=9)" \
   --ip "IP(dst='255.255.255.255', id=214)/UDP(sport=4005, dport=9)" \
   --ip "IP(dst='10.2.0.255', id=215)/UDP(sport=4006, dport=9)" \
   --ip "IP(dst='$H2', id=216, ttl=1)/$E" \
   --ip "IP(dst='$H2', id=217, ttl=0)/$E" \
   --ip "IP(dst='$H2', id=218, chksum=0x1234)/$E" >/dev/null
# A frame too short for an IP header (19 bytes of IP).
px --truncate 19 --ip "IP(dst='$H2', id=219)/$E" >/dev/null
# IPv4 with a total length that the frame does not carry: the last 8 bytes cut off.
px --truncate 40 --ip "IP(dst='$H2', id=220)/$E" >/dev/null
sleep 0.5
stop_capture

# Outer IP ids in decimal, one per captured frame (tshark prints 0x-hex, inner headers after a comma).
outer_ids() { tshark_fields "$1" -e ip.id | while IFS=, read -r id _; do [[ -n "$id" ]] && echo $((id)); done; }
outer_ids "$cap" >"$LAB_TMP/ids"
ids=$(sort -n "$LAB_TMP/ids" | uniq -c | awk '{printf "%s:%s ", $1, $2}')
seen() { grep -cx "$1" "$LAB_TMP/ids"; }
for id in 101 102 103 104 105 107 108 109; do
    n=$(seen "$id")
    if ((n == 1)); then pass "datagram id $id forwarded once"; else fail "datagram id $id should be forwarded once, seen $n times at h2" "count:id seen at h2: $ids"; fi
done
declare -A why=(
    [201]="total length 200 > frame" [202]="version 6 in an IPv4 frame" [203]="IHL 4"
    [204]="total length 16 < IHL*4" [205]="source 127.0.0.1" [206]="source 0.0.0.5" [207]="multicast source"
    [208]="source 255.255.255.255" [209]="class E source" [210]="destination 127.0.0.1"
    [211]="destination 0.0.0.1" [212]="class E destination" [213]="multicast destination"
    [214]="limited broadcast destination" [215]="directed broadcast 10.2.0.255" [216]="transit TTL 1"
    [217]="transit TTL 0" [218]="bad header checksum" [219]="19-byte IP header" [220]="datagram cut short by the frame")
for id in $(printf '%s\n' "${!why[@]}" | sort -n); do
    n=$(seen "$id")
    if ((n == 0)); then pass "not forwarded: ${why[$id]} (id $id)"; else fail "forwarded although ${why[$id]} (id $id, seen $n times at h2)"; fi
done

out=$(sendf "$DPR_NS_H1" verify --saved "$good" --pcap "$cap" 2>&1)
if [[ $? -eq 0 ]]; then
    pass "forwarded datagrams: only TTL (-1) and header checksum changed, options/TOS/DF/MF/payload intact"
else
    fail "forwarded datagrams changed beyond TTL and checksum" "$out"
fi
f=$(tshark_fields "$cap" -o ip.check_checksum:TRUE -Y "ip.id == 104" -e ip.ttl -e ip.checksum.status)
if [[ "$f" == $'1\t1' ]]; then pass "TTL 2 leaves with TTL 1 and a good checksum"; else fail "TTL 2 datagram at h2: expected TTL 1, good checksum" "ttl, checksum status: $f"; fi
f=$(tshark_fields "$cap" -Y "ip.src == $DPR_H1_ADDR && ip.id == 109 && udp" -e ip.len -e frame.len | cut -d, -f1)
echo "  (padded frame forwarded as ip.len, frame.len = $(tr '\t' ',' <<<"$f"))"

if ((have_tel)) && tel_snapshot "$LAB_TMP/t1.json"; then
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_bad_total_length 3 3
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_bad_version 1 1
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_bad_ihl 1 1
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_bad_checksum 1 1
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ipv4_runt 1 1
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.martian_source 5 5
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.martian_destination 3 3
    expect_delta "$LAB_TMP/t0.json" "$LAB_TMP/t1.json" drops.ttl_expired 2 2
fi

# Local delivery accepts any TTL: echo requests with TTL 1 and 0 to the router are answered.
cap2="$LAB_TMP/h1.pcap"
if start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap2" "icmp and icmp[icmptype] = icmp-echoreply"; then
    px --ip "IP(dst='$DPR_R1_ADDR', ttl=1)/ICMP(type=8, id=301)" \
       --ip "IP(dst='$DPR_R1_ADDR', ttl=0)/ICMP(type=8, id=302)" \
       --ip "IP(dst='$DPR_R2_ADDR', ttl=1)/ICMP(type=8, id=303)" \
       --ip "IP(dst='$DPR_R2_ADDR', ttl=0)/ICMP(type=8, id=304)" >/dev/null
    sleep 0.5
    stop_capture
    got=$(tshark_fields "$cap2" -e icmp.ident | sort -n | tr '\n' ' ')
    for id in 301 302 303 304; do
        if grep -qw "$id" <<<"$got"; then pass "echo request id $id with TTL 0/1 to the router answered"; else fail "echo request id $id (TTL 0/1, to a router address) not answered" "reply ids seen: $got"; fi
    done
else
    fail "tcpdump on $DPR_IF_H1"
fi

check "forwarding still works afterwards" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
