#!/usr/bin/env bash
# dprouterctl against the running lab router: show interfaces/routes/neighbors/stats (text and
# --json, values checked), route add/del (validated; applied, or refused while the build has no live
# FIB), a static neighbour added live that forwarding uses (h2 sees frames to its MAC for an address
# nobody answers ARP for), exit codes, and garbage on the socket that leaves forwarding undisturbed.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
CTL="$(dirname "$LAB_BIN")/dprouterctl"
[[ -x "$CTL" ]] || fatal "dprouterctl next to $LAB_BIN"

lab_test_router "$LAB_CONFIG"
SOCK=$ROUTER_SOCKET
ctl() { "$CTL" --socket "$SOCK" "$@"; }
# jq-free JSON checks: jsonq FILE EXPR evaluates a Python expression over the parsed answer `d`.
jsonq() { "$LAB_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

check "control socket $SOCK exists, mode 0600" bash -c "[[ -S '$SOCK' && \$(stat -c %a '$SOCK') == 600 ]]"
check "ping h1 -> h2 (neighbours learnt)" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3
check "ping6 h1 -> h2" ping6_ok "$DPR_NS_H1" "$DPR_H2_ADDR6" 3

# ---- show interfaces ----
out=$(ctl show interfaces 2>&1)
if [[ $? -eq 0 ]] && grep -Eq "^NAME +PORT +MAC +MTU" <<<"$out" &&
    grep -Eq "^lan +[0-9]+ +$DPR_R1_MAC +1500 +up .*10\.1\.0\.1/24" <<<"$out" &&
    grep -Eq "^wan +[0-9]+ +$DPR_R2_MAC +1500 +up .*10\.2\.0\.1/24" <<<"$out"; then
    pass "show interfaces: aligned table with lan/wan, MACs, MTU 1500, link up, addresses"
else fail "show interfaces" "$out"; fi
ctl --json show interfaces >"$LAB_TMP/if.json" 2>&1
check "show interfaces --json: names, MACs, MTUs, both families, rx counted" jsonq "$LAB_TMP/if.json" \
    "[i['name'] for i in d]==['lan','wan'] and d[0]['mac']=='$DPR_R1_MAC' and d[1]['mac']=='$DPR_R2_MAC'
     and all(i['mtu']==1500 and i['link']=='up' for i in d) and '2001:db8:1::1/64' in d[0]['addresses']
     and '$DPR_R1_LL6/64' in d[0]['addresses'] and d[0]['rx_packets']>=3 and d[1]['tx_packets']>=3"

# ---- show neighbors ----
ctl --json show neighbors >"$LAB_TMP/nb.json" 2>&1
check "show neighbors --json: h2 $DPR_H2_ADDR learnt on wan with MAC $DPR_H2_MAC, reachable" jsonq "$LAB_TMP/nb.json" \
    "any(n['address']=='$DPR_H2_ADDR' and n['mac']=='$DPR_H2_MAC' and n['interface']=='wan' and n['state']=='reachable'
         and n['type']=='learned' and n['family']=='ipv4' for n in d)"
check "show neighbors --json: an IPv6 neighbour of h2 with MAC $DPR_H2_MAC" jsonq "$LAB_TMP/nb.json" \
    "any(n['family']=='ipv6' and n['mac']=='$DPR_H2_MAC' and n['interface']=='wan' for n in d)"
out=$(ctl show neighbors 2>&1)
if grep -Eq "^$DPR_H2_ADDR +$DPR_H2_MAC +wan +reachable +learned" <<<"$out"; then pass "show neighbors text row for h2"
else fail "show neighbors text" "$out"; fi

# ---- show routes ----
ctl --json show routes >"$LAB_TMP/rt.json" 2>&1
check "show routes --json: file routes with action and origin, connected subnets, all installed" jsonq "$LAB_TMP/rt.json" \
    "{(r['prefix'],r['action'],r['origin'],r['installed']) for r in d['routes']} >= {('10.66.0.0/16','unreachable','file',True),
      ('10.67.0.0/16','blackhole','file',True),('2001:db8:68::/48','prohibit','file',True),('10.2.0.0/24','forward','connected',True)}
     and d['truncated']==False"
out=$(ctl show routes 2>&1)
if grep -Eq "^10\.66\.0\.0/16 +unreachable +- +- +file +installed" <<<"$out" &&
    grep -Eq "^10\.1\.0\.0/24 +forward +- +lan +connected +installed" <<<"$out"; then pass "show routes text"
else fail "show routes text" "$out"; fi

# ---- show stats ----
ctl --json show stats >"$LAB_TMP/st.json" 2>&1
check "show stats --json: per-port counters, drop reasons, ICMP, ARP" jsonq "$LAB_TMP/st.json" \
    "d['ports']['lan']['rx']>=3 and 'drops' in d and len(d['drops'])>5 and 'icmp_sent' in d and d['arp']['resolved']>=1"
check "show stats text" bash -c "'$CTL' --socket '$SOCK' show stats | grep -Eq '^lan +[0-9]+ +[0-9]+'"

# ---- exit codes ----
"$CTL" --socket "$LAB_TMP/nothing.sock" show stats >/dev/null 2>"$LAB_TMP/e3"; rc=$?
if [[ $rc -eq 3 ]] && grep -q "$LAB_TMP/nothing.sock" "$LAB_TMP/e3"; then pass "no router: exit 3 naming the socket"
else fail "no router: expected exit 3 naming the socket (rc $rc)" "$(cat "$LAB_TMP/e3")"; fi
ctl show everything >/dev/null 2>&1; rc=$?
if [[ $rc -eq 2 ]]; then pass "usage error: exit 2"; else fail "usage error: expected exit 2, got $rc"; fi

# ---- route add/del: validated like the YAML ----
expect_refused() {  # DESC PATTERN ARGS...
    local desc=$1 pat=$2; shift 2
    local err rc
    err=$(ctl "$@" 2>&1 >/dev/null); rc=$?
    if [[ $rc -eq 1 ]] && grep -Eq "$pat" <<<"$err" && [[ $(wc -l <<<"$err") -eq 1 ]]; then pass "$desc: $err"
    else fail "$desc: expected exit 1 and one line matching '$pat' (rc $rc)" "$err"; fi
}
expect_refused "route via an unreachable gateway" "10\.9\.9\.9 is not reachable through any connected network" \
    route add 10.77.0.0/16 via 10.9.9.9
expect_refused "route with host bits set" "has host bits set" route add 10.77.0.1/16 via 10.2.0.2
expect_refused "route with an IPv4 via for an IPv6 prefix" "is an IPv4 address but the route is IPv6" \
    route add 2001:db8:77::/48 via 10.2.0.2
expect_refused "route via our own address" "one of our own addresses" route add 10.77.0.0/16 via 10.2.0.1
expect_refused "route interface not matching the via" "is on interface 'wan', not 'lan'" \
    route add 10.77.0.0/16 via 10.2.0.2 interface lan
err=$(ctl route add 10.77.0.0/16 via "$DPR_H2_ADDR" 2>&1); rc=$?
if [[ $rc -eq 1 && $err == *"routes cannot be changed live in this build"* ]]; then
    pass "route add (no live FIB in this build): refused with a clear message"
    expect_refused "route del (no live FIB)" "routes cannot be changed live" route del 10.77.0.0/16
    ctl --json show routes >"$LAB_TMP/rt2.json" 2>&1
    check "nothing changed: no 10.77.0.0/16 route" jsonq "$LAB_TMP/rt2.json" \
        "all(r['prefix']!='10.77.0.0/16' for r in d['routes'])"
elif [[ $rc -eq 0 ]]; then
    # A live FIB: the route is installed (h2 answers for 10.77.0.1 once it holds that address).
    in_h2 ip addr add 10.77.0.1/32 dev "$DPR_IF_H2"
    ctl --json show routes >"$LAB_TMP/rt2.json" 2>&1
    check "route add: 10.77.0.0/16 via h2, origin cli, installed" jsonq "$LAB_TMP/rt2.json" \
        "any(r['prefix']=='10.77.0.0/16' and r['origin']=='cli' and r['installed'] and r['via'][0]['gateway']=='$DPR_H2_ADDR' for r in d['routes'])"
    check "ping h1 -> 10.77.0.1 through the cli route" ping_ok "$DPR_NS_H1" 10.77.0.1 3
    check "route del 10.77.0.0/16" ctl route del 10.77.0.0/16
    check "ping h1 -> 10.77.0.1 fails once the route is gone" ping_none "$DPR_NS_H1" 10.77.0.1 2
    expect_refused "route del of a file route" "no route 10.66.0.0/16 added by dprouterctl" route del 10.66.0.0/16
    # A cli route over a file prefix: installed, the file's shadowed; removing it uncovers the file's.
    check "route add 10.66.0.0/16 via h2 over the file's unreachable route" ctl route add 10.66.0.0/16 via "$DPR_H2_ADDR"
    ctl --json show routes >"$LAB_TMP/rt3.json" 2>&1
    check "show routes: 10.66.0.0/16 cli installed, file shadowed" jsonq "$LAB_TMP/rt3.json" \
        "{(r['origin'],r['installed']) for r in d['routes'] if r['prefix']=='10.66.0.0/16'}=={('cli',True),('file',False)}"
    check "route del 10.66.0.0/16 (the cli one)" ctl route del 10.66.0.0/16
    ctl --json show routes >"$LAB_TMP/rt4.json" 2>&1
    check "show routes: the file's 10.66.0.0/16 installed again" jsonq "$LAB_TMP/rt4.json" \
        "[(r['origin'],r['installed']) for r in d['routes'] if r['prefix']=='10.66.0.0/16']==[('file',True)]"
    # ECMP and IPv6 through the same command.
    check "route add ECMP 10.78.0.0/16 via h2 via 10.2.0.3" ctl route add 10.78.0.0/16 via "$DPR_H2_ADDR" via 10.2.0.3
    check "route add 2001:db8:77::/48 via h2" ctl route add 2001:db8:77::/48 via "$DPR_H2_ADDR6"
    ctl --json show routes >"$LAB_TMP/rt5.json" 2>&1
    check "show routes: the ECMP route with two gateways, the IPv6 one" jsonq "$LAB_TMP/rt5.json" \
        "any(r['prefix']=='10.78.0.0/16' and [v['gateway'] for v in r['via']]==['$DPR_H2_ADDR','10.2.0.3'] for r in d['routes'])
         and any(r['prefix']=='2001:db8:77::/48' and r['origin']=='cli' and r['via'][0]['interface']=='wan' for r in d['routes'])"
    check "route del of both" bash -c "'$CTL' --socket '$SOCK' route del 10.78.0.0/16 && '$CTL' --socket '$SOCK' route del 2001:db8:77::/48"
else
    fail "route add: expected exit 0 or 1 (rc $rc)" "$err"
fi

# ---- neighbor add: a static entry the forwarding uses ----
GHOST=10.2.0.77 GHOST_MAC=02:00:00:00:77:77
expect_refused "neighbor off every subnet of the interface" "not on a connected network of interface 'lan'" \
    neighbor add "$GHOST" mac "$GHOST_MAC" interface lan
expect_refused "neighbor with a multicast MAC" "multicast" neighbor add "$GHOST" mac 01:00:5e:00:00:01 interface wan
expect_refused "neighbor del of one never added" "no static neighbor $GHOST" neighbor del "$GHOST"
cap="$LAB_TMP/ghost.pcap"
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "ether dst $GHOST_MAC or arp"; then
    check "neighbor add $GHOST mac $GHOST_MAC interface wan" ctl neighbor add "$GHOST" mac "$GHOST_MAC" interface wan
    in_h1 ping -n -c 3 -i 0.2 -W 1 "$GHOST" >/dev/null 2>&1
    lab_wait_for 5 bash -c "[[ \$(tshark -r '$cap' -n -Y 'eth.dst == $GHOST_MAC && ip.dst == $GHOST' 2>/dev/null | grep -c .) -ge 3 ]]"
    stop_capture
    n=$(tshark_fields "$cap" -Y "eth.dst == $GHOST_MAC && ip.dst == $GHOST && icmp.type == 8" -e frame.number | grep -c .)
    a=$(tshark_fields "$cap" -Y "arp.dst.proto_ipv4 == $GHOST" -e frame.number | grep -c .)
    if [[ $n -ge 3 && $a -eq 0 ]]; then pass "h2 sees the 3 echo requests for $GHOST sent to $GHOST_MAC, no ARP for it"
    else fail "expected 3 frames to $GHOST_MAC and no ARP for $GHOST (got $n, ARP $a)" "$(tshark -r "$cap" -n 2>&1 | head)"; fi
else
    fail "tcpdump on $DPR_IF_H2"
fi
ctl --json show neighbors >"$LAB_TMP/nb2.json" 2>&1
check "show neighbors: $GHOST static (cli), reachable" jsonq "$LAB_TMP/nb2.json" \
    "any(n['address']=='$GHOST' and n['mac']=='$GHOST_MAC' and n['type']=='static (cli)' and n['state']=='reachable' for n in d)"
check "neighbor del $GHOST" ctl neighbor del "$GHOST" interface wan
ctl --json show neighbors >"$LAB_TMP/nb3.json" 2>&1
check "show neighbors: $GHOST gone" jsonq "$LAB_TMP/nb3.json" "all(n['address']!='$GHOST' for n in d)"
# The static entry is gone: the router now asks for the address, and nobody answers.
cap="$LAB_TMP/ghost2.pcap"
if start_capture "$DPR_NS_H2" "$DPR_IF_H2" "$cap" "arp or ether dst $GHOST_MAC"; then
    in_h1 ping -n -c 1 -W 1 "$GHOST" >/dev/null 2>&1
    lab_wait_for 4 bash -c "[[ \$(tshark -r '$cap' -n -Y 'arp.dst.proto_ipv4 == $GHOST' 2>/dev/null | grep -c .) -ge 1 ]]"
    stop_capture
    a=$(tshark_fields "$cap" -Y "arp.dst.proto_ipv4 == $GHOST" -e frame.number | grep -c .)
    n=$(tshark_fields "$cap" -Y "eth.dst == $GHOST_MAC" -e frame.number | grep -c .)
    if [[ $a -ge 1 && $n -eq 0 ]]; then pass "after neighbor del: ARP requests for $GHOST, nothing sent to $GHOST_MAC"
    else fail "after neighbor del: expected ARP for $GHOST and no frame to $GHOST_MAC (ARP $a, frames $n)"; fi
fi

# ---- garbage on the socket while h1 pings h2 ----
in_h1 ping -n -c 40 -i 0.1 -W 1 "$DPR_H2_ADDR" >"$LAB_TMP/ping.out" 2>&1 &
ping_pid=$!
"$LAB_PY" - "$SOCK" >"$LAB_TMP/garbage.out" 2>&1 <<'PYEOF'
import json, os, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(5)
    return s
def answer(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf
checks = []
# random bytes with a newline: an error answer, the connection stays usable
s = conn(); s.sendall(os.urandom(3000).replace(b"\n", b"x") + b"\n"); a = json.loads(answer(s))
checks.append(("random bytes -> error", a["ok"] is False))
s.sendall(b'{"op":"show stats"}\n'); a = json.loads(answer(s)); checks.append(("same connection still served", a["ok"] is True)); s.close()
# a 1 MiB line: refused and closed
s = conn()
try:
    s.sendall(b"[" * (1 << 20))
except OSError:
    pass
a = answer(s); checks.append(("oversized -> error", b"longer than" in a)); s.close()
# half a request, then gone; bytes then gone; connect and close
for payload in (b'{"op":"show in', b"\x00\xff" * 100, b""):
    s = conn(); s.sendall(payload); s.close()
# many clients at once, each half-way through a request
many = []
for _ in range(40):
    try:
        many.append(conn())
    except OSError:
        break
for m in many:
    try:
        m.sendall(b'{"op":')
    except OSError:
        pass
time.sleep(0.5)
for m in many:
    m.close()
# valid JSON, wrong shape
for req in (b"[]", b'{"op":7}', b'{"op":"route add","prefix":"10.0.0.0/8","via":"x"}', b'{"op":"show interfaces","x":1}'):
    s = conn(); s.sendall(req + b"\n"); a = json.loads(answer(s)); checks.append((req.decode() + " -> error", a["ok"] is False)); s.close()
bad = [n for n, ok in checks if not ok]
print("\n".join(f"{'ok' if ok else 'BAD'} {n}" for n, ok in checks))
sys.exit(1 if bad else 0)
PYEOF
rc=$?
if [[ $rc -eq 0 ]]; then pass "garbage, oversized, truncated and crowd clients answered or dropped"
else fail "garbage on the socket" "$(cat "$LAB_TMP/garbage.out")"; fi
wait "$ping_pid"
if grep -q " 0% packet loss" "$LAB_TMP/ping.out"; then pass "ping h1 -> h2 lost nothing meanwhile (40 echoes)"
else fail "ping during garbage lost packets" "$(tail -3 "$LAB_TMP/ping.out")"; fi
check "router still answers dprouterctl" ctl show interfaces
check "router still forwards" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 3

check "router stops cleanly on SIGTERM (exit 0)" router_stop
check "socket file removed at exit" bash -c "[[ ! -e '$SOCK' ]]"
finish
