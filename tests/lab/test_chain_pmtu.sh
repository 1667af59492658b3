#!/usr/bin/env bash
# Chain walk-through 1 (docs/pmtud-lab.md "Chains of routers"): h1 -1500- r1 -1400- r2 -1200- r3 -1500- h2.
# A DF ping from h1 first hears "mtu 1400" from r1, then "mtu 1200" from r2; `ip route get` steps down
# with it; tracepath shows each change with the hop that caused it. Then the idle chain: its three
# routers (dpdk.idle: sleep) use less than 10 % of one CPU together. CHAIN_ROUTERS=4: the same with 4
# routers, r2 and r3 narrowing (tests/lab/chain_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"
chain_up --mtus "$CHAIN_MTUS"

route_mtu() { in_node h1 ip route get "$H2" | grep -o 'mtu [0-9]*'; }
check "h1 starts with no path MTU cached for h2" bash -c "! ip netns exec $(chain_ns h1) ip route get $H2 | grep -q ' mtu '"

out=$(in_node h1 ping -n -M "do" -s 1472 -c 1 -W 2 "$H2" 2>&1)
check "a 1500-byte DF ping: r$RA (10.0.$RA.2) answers 'Frag needed and DF set (mtu = 1400)'" \
    grep -q "From 10.0.$RA.2 icmp_seq=1 Frag needed and DF set (mtu = 1400)" <<<"$out"
check "ip route get steps down to mtu 1400" test "$(route_mtu)" = "mtu 1400"

out=$(in_node h1 ping -n -M "do" -s 1372 -c 1 -W 2 "$H2" 2>&1)
check "a 1400-byte DF ping passes r$RA; r$RB (10.0.$RB.2) answers 'Frag needed and DF set (mtu = 1200)'" \
    grep -q "From 10.0.$RB.2 icmp_seq=1 Frag needed and DF set (mtu = 1200)" <<<"$out"
check "ip route get steps down to mtu 1200" test "$(route_mtu)" = "mtu 1200"
check "a 1200-byte DF ping crosses the whole chain" ping_ok "$(chain_ns h1)" "$H2" 3 -M "do" -s 1172

in_node h1 ip route flush cache
out=$(in_node h1 timeout 30 tracepath -n "$H2" 2>&1)
echo "$out" | sed 's/^/    /'
# tracepath prints "pmtu N" on the line of the router whose frag needed taught it N (a probe one hop
# further out, turned back by that router): r1 at 10.0.1.2 for 1400, r2 at 10.0.2.2 for 1200 (3 routers).
check "tracepath: r$RA (10.0.$RA.2) reports pmtu 1400" grep -qE "^ *[0-9]+: +10\.0\.$RA\.2 .*pmtu 1400" <<<"$out"
check "tracepath: r$RB (10.0.$RB.2) reports pmtu 1200" grep -qE "^ *[0-9]+: +10\.0\.$RB\.2 .*pmtu 1200" <<<"$out"
check "tracepath: pmtu 1400 before pmtu 1200, in that order" bash -c 'grep -o "pmtu 1[0-9]*" <<<"$1" | uniq | tr "\n" " " | grep -q "^pmtu 1500 pmtu 1400 pmtu 1200 $"' _ "$out"
# Hop numbers are the TTLs of the probes answered: exact when every error came back before the next
# probe, larger when a late one (an earlier probe's frag needed, taken by tracepath as the answer to a
# later TTL) moved it on, and then a router may not show at all; a CI run on a loaded machine printed
# "hops 6" without r3. So the hops are checked as a lower bound (chain_lib.sh, tracepath_resume_ok).
check "tracepath: h2 (10.0.$NLINKS.2) reached, Resume: pmtu 1200, hops >= $NLINKS" tracepath_resume_ok "$out" "10.0.$NLINKS.2" 1200

# The idle chain: 3 s of CPU time (user + system) of all its routers together.
sleep 1
hz=$(getconf CLK_TCK)
t0=$(chain_cpu_ticks); sleep 3; t1=$(chain_cpu_ticks)
pct=$(((t1 - t0) * 100 / (3 * hz)))
echo "    idle chain: $((t1 - t0)) ticks of $((3 * hz)) in 3 s: ${pct}% of one CPU"
check "the idle chain of $CHAIN_ROUTERS routers uses less than 10 % of one CPU (${pct}%)" test "$pct" -lt 10
finish
