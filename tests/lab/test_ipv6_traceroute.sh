#!/usr/bin/env bash
# traceroute6 through the router (RFC 4443 3.3, 2.4(f)): UDP, ICMP and TCP probes, both ways: hop 1 is
# the router's address on the prober's link with all 3 probes answered (its error rate limit leaves
# room for a traceroute), hop 2 the far host, also with 3 answers; a traceroute to the router's far
# address ends there in one hop (port unreachable from the address probed). The time exceeded
# messages are checked byte by byte at h1 (icmp6_check.py).
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"
lab_test_router

# hops OUT N: the line of hop N of traceroute's output
hop() { awk -v n="$2" '$1 == n' <<<"$1"; }
# answered3 LINE ADDR: the hop line names ADDR and has three round-trip times, no '*'
answered3() { [[ "$1" == *" $2 "* && "$1" != *"*"* && $(grep -o " ms" <<<"$1" | wc -l) -eq 3 ]]; }

for dir in "h1 $DPR_NS_H1 $DPR_R1_ADDR6 $DPR_H2_ADDR6" "h2 $DPR_NS_H2 $DPR_R2_ADDR6 $DPR_H1_ADDR6"; do
    read -r who ns r dst <<<"$dir"
    for mode in "" "-I" "-T -p 80"; do
        # shellcheck disable=SC2086  # mode is a word list on purpose
        out=$(ip netns exec "$ns" timeout 40 traceroute6 -n -q 3 -w 2 -m 5 $mode "$dst" 2>&1)
        h1l=$(hop "$out" 1) h2l=$(hop "$out" 2) h3l=$(hop "$out" 3)
        if answered3 "$h1l" "$r" && answered3 "$h2l" "$dst" && [[ -z "$h3l" ]]; then
            pass "$who: traceroute6 ${mode:-(UDP)} to $dst: hop 1 $r answered 3 times, ends at hop 2 $dst"
        else
            fail "$who: traceroute6 ${mode:-(UDP)} to $dst: expected hop 1 $r (3 answers), hop 2 $dst (3 answers), nothing more" "$out"
        fi
        sleep 1   # let the router's per-destination error bucket refill between runs
    done
done

# the router's far address: one hop, answered by the address probed (RFC 4443 2.2(a))
out=$(in_h1 timeout 30 traceroute6 -n -q 3 -w 2 -m 5 "$DPR_R2_ADDR6" 2>&1)
if answered3 "$(hop "$out" 1)" "$DPR_R2_ADDR6" && [[ -z "$(hop "$out" 2)" ]]; then
    pass "h1: traceroute6 to the router's wan address $DPR_R2_ADDR6 ends at hop 1 with 3 answers"
else
    fail "h1: traceroute6 $DPR_R2_ADDR6: expected one hop, $DPR_R2_ADDR6, 3 answers" "$out"
fi
sleep 1

# The time exceeded messages as h1 receives them.
cap="$LAB_TMP/te.pcap"
start_capture "$DPR_NS_H1" "$DPR_IF_H1" "$cap" "ip6 and not (icmp6 and ip6[40] >= 133 and ip6[40] <= 137)" || fatal "tcpdump"
out=$(in_h1 timeout 30 traceroute6 -n -q 3 -w 2 -m 1 "$DPR_H2_ADDR6" 2>&1)
stop_capture
expect_icmp6 "3 time exceeded 3/0 for traceroute6's hop limit 1 probes: from $DPR_R1_ADDR6, hop limit 64, checksum, quote as sent" \
    "$cap" --type 3 --code 0 --src "$DPR_R1_ADDR6" --dst "$DPR_H1_ADDR6" --word2 0 --count 3

# tracepath -6 on the 1500-byte lab: reaches h2 in 2 hops, pmtu 1500
out=$(in_h1 timeout 30 tracepath -6 -n -m 5 "$DPR_H2_ADDR6" 2>&1)
if grep -q "Resume: pmtu 1500 hops 2 " <<<"$out" && grep -q "$DPR_H2_ADDR6 .*reached" <<<"$out"; then
    pass "tracepath -6 reaches $DPR_H2_ADDR6: pmtu 1500 hops 2"
else
    fail "tracepath -6 -n $DPR_H2_ADDR6: expected 'reached' and 'Resume: pmtu 1500 hops 2'" "$out"
fi

check "router still running" router_alive
check "router stops cleanly on SIGTERM (exit 0)" router_stop
finish
