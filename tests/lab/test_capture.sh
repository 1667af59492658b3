#!/usr/bin/env bash
# dprouterctl capture against the running lab router: captures of lan and wan side by side while h1
# pings h2 through the router, read back with tshark (interface names from the config, direction
# flags, addresses, TTL 64 as received and 63 as sent after the decrement); -w - to standard output;
# a second capture of a busy interface refused; Ctrl-C ends a capture with a whole file; a client
# killed mid-capture leaves nothing behind (forwarding goes on, the interface can be captured again);
# --duration ends a quiet capture.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router "$LAB_CONFIG"
CTL="$(dirname "$LAB_BIN")/dprouterctl"
[[ -x "$CTL" ]] || fatal "dprouterctl next to $LAB_BIN"
ctl() { "$CTL" --socket "$ROUTER_SOCKET" "$@"; }
jsonq() { "$LAB_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
# FILE -> one line per frame: interface, direction (0x00000001 in, 0x00000002 out), src, dst, ttl, icmp type
frames_of() {
    tshark_fields "$1" -e frame.interface_name -e frame.packet_flags_direction -e ip.src -e ip.dst -e ip.ttl -e icmp.type
}
has_frame() {  # FILE IFACE DIR SRC DST TTL TYPE
    frames_of "$1" | grep -Pq "^$2\t$3\t$4\t$5\t$6\t$7$"
}

check "ping h1 -> h2 (neighbours learnt before the captures)" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 2

# ---- lan and wan at once, --count 4 each, while h1 pings h2 ----
"$CTL" --socket "$ROUTER_SOCKET" capture lan --count 4 -w "$LAB_TMP/lan.pcapng" 2>"$LAB_TMP/lan.err" &
lan_pid=$!
"$CTL" --socket "$ROUTER_SOCKET" capture wan --count 4 -w "$LAB_TMP/wan.pcapng" 2>"$LAB_TMP/wan.err" &
wan_pid=$!
lab_on_cleanup "kill $lan_pid $wan_pid 2>/dev/null"
sleep 0.5
ip netns exec "$DPR_NS_H1" ping -c 4 -i 0.2 -W 1 "$DPR_H2_ADDR" >/dev/null 2>&1
for pid in $lan_pid $wan_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
wait $lan_pid; lan_rc=$?
wait $wan_pid; wan_rc=$?
if [[ $lan_rc -eq 0 && $wan_rc -eq 0 ]] && grep -q "^4 packets captured, 0 dropped" "$LAB_TMP/lan.err" &&
    grep -q "^4 packets captured, 0 dropped" "$LAB_TMP/wan.err"; then
    pass "both captures end at --count 4 with exit 0 and say so"
else fail "captures end at their count (rc lan $lan_rc wan $wan_rc)" "$(cat "$LAB_TMP/lan.err" "$LAB_TMP/wan.err")"; fi
check "lan file: tshark reads 4 frames" bash -c "[[ \$(tshark -r '$LAB_TMP/lan.pcapng' 2>/dev/null | wc -l) -eq 4 ]]"
check "lan: echo request as received from h1 (inbound, TTL 64)" \
    has_frame "$LAB_TMP/lan.pcapng" lan 0x00000001 "$DPR_H1_ADDR" "$DPR_H2_ADDR" 64 8
check "lan: echo reply as sent to h1 (outbound, TTL 63 after the decrement)" \
    has_frame "$LAB_TMP/lan.pcapng" lan 0x00000002 "$DPR_H2_ADDR" "$DPR_H1_ADDR" 63 0
check "wan: echo request as sent to h2 (outbound, TTL 63)" \
    has_frame "$LAB_TMP/wan.pcapng" wan 0x00000002 "$DPR_H1_ADDR" "$DPR_H2_ADDR" 63 8
check "wan: echo reply as received from h2 (inbound, TTL 64)" \
    has_frame "$LAB_TMP/wan.pcapng" wan 0x00000001 "$DPR_H2_ADDR" "$DPR_H1_ADDR" 64 0
check "wan: frames sent carry the router's MAC as source, h2's as destination" bash -c \
    "tshark -r '$LAB_TMP/wan.pcapng' -n -T fields -e eth.src -e eth.dst -Y 'frame.packet_flags_direction == 2 && icmp' 2>/dev/null |
     grep -Pq '^$DPR_R2_MAC\t$DPR_H2_MAC\$'"

# ---- -w - : the file on standard output ----
"$CTL" --socket "$ROUTER_SOCKET" capture lan --count 2 --direction rx -w - >"$LAB_TMP/stdout.pcapng" 2>"$LAB_TMP/stdout.err" &
out_pid=$!
sleep 0.3
ip netns exec "$DPR_NS_H1" ping -c 2 -i 0.2 -W 1 "$DPR_H2_ADDR" >/dev/null 2>&1
for _ in $(seq 50); do kill -0 $out_pid 2>/dev/null || break; sleep 0.1; done
wait $out_pid; rc=$?
if [[ $rc -eq 0 ]] && [[ $(frames_of "$LAB_TMP/stdout.pcapng" | grep -c $'\t0x00000001\t') -eq 2 ]] &&
    [[ $(frames_of "$LAB_TMP/stdout.pcapng" | grep -c $'\t0x00000002\t') -eq 0 ]]; then
    pass "-w - --direction rx: 2 inbound frames on standard output, none outbound"
else fail "-w - (rc $rc)" "$(cat "$LAB_TMP/stdout.err"; frames_of "$LAB_TMP/stdout.pcapng")"; fi

# ---- one capture per interface; Ctrl-C ends it with a whole file ----
"$CTL" --socket "$ROUTER_SOCKET" capture lan -w "$LAB_TMP/open.pcapng" 2>"$LAB_TMP/open.err" &
open_pid=$!
lab_on_cleanup "kill $open_pid 2>/dev/null"
sleep 0.3
err=$(ctl capture lan --count 1 -w "$LAB_TMP/second.pcapng" 2>&1); rc=$?
if [[ $rc -eq 1 ]] && grep -q "capture of interface 'lan' is running already" <<<"$err" && [[ ! -e "$LAB_TMP/second.pcapng" ]]; then
    pass "a second capture of lan is refused (exit 1, no file): $err"
else fail "second capture of lan refused (rc $rc)" "$err"; fi
check "ping through the router while lan is captured" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
kill -INT $open_pid
for _ in $(seq 50); do kill -0 $open_pid 2>/dev/null || break; sleep 0.1; done
wait $open_pid; rc=$?
if [[ $rc -eq 0 ]] && grep -Eq "^[0-9]+ packets captured, 0 dropped" "$LAB_TMP/open.err" &&
    [[ $(frames_of "$LAB_TMP/open.pcapng" | grep -c $'\t8$') -ge 3 ]]; then
    pass "Ctrl-C: exit 0, $(head -1 "$LAB_TMP/open.err"), the pings in the file"
else fail "Ctrl-C ends the capture (rc $rc)" "$(cat "$LAB_TMP/open.err")"; fi
# The last block's length is its last word; its type the word that many bytes from the end.
last_block_is_stats() {
    "$LAB_PY" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); n=struct.unpack("<I",d[-4:])[0]
sys.exit(0 if len(d)>=n>=12 and struct.unpack("<I",d[-n:-n+4])[0]==5 else 1)' "$1"
}
check "the Ctrl-C'd file reads without error and ends with its statistics block" \
    bash -c "tshark -r '$LAB_TMP/open.pcapng' >/dev/null 2>'$LAB_TMP/open.tshark' && ! grep -qi error '$LAB_TMP/open.tshark'"
check "... its last block is the interface statistics block" last_block_is_stats "$LAB_TMP/open.pcapng"

# ---- a client killed mid-capture leaves nothing behind ----
"$CTL" --socket "$ROUTER_SOCKET" capture wan -w "$LAB_TMP/killed.pcapng" 2>/dev/null &
killed_pid=$!
sleep 0.3
kill -9 $killed_pid; wait $killed_pid 2>/dev/null
check "forwarding goes on after the client died" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
ctl --json show stats >"$LAB_TMP/st.json" 2>&1
check "show stats: no capture left active, the started ones counted, none dropped" jsonq "$LAB_TMP/st.json" \
    "d['capture']['active']==0 and d['capture']['started']>=4 and d['capture']['refused']==1
     and d['events']['capture_dropped']==0 and d['events']['captured']>=8"
check "wan can be captured again (--duration 1 on a quiet port ends by itself, 0 frames)" bash -c \
    "'$CTL' --socket '$ROUTER_SOCKET' capture wan --duration 1 --direction tx -w '$LAB_TMP/quiet.pcapng' 2>&1 | grep -q '^0 packets captured'"
check "the quiet capture is a valid file" tshark -r "$LAB_TMP/quiet.pcapng"
check "bad requests: unknown interface refused" bash -c \
    "'$CTL' --socket '$ROUTER_SOCKET' capture dmz -w '$LAB_TMP/x' 2>&1 | grep -q \"no interface named 'dmz'\""

router_stop
finish
