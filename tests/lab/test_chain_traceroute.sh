#!/usr/bin/env bash
# Chain walk-through 2 (docs/pmtud-lab.md "Chains of routers"): h1 - r1 - r2 - r3 - h2.
# traceroute with 3 probes per hop: at the default ICMP limits every router answers all 3. With r2
# limited to one error per 500 ms to any host (per_destination {rate: 2, burst: 1}, Cisco's default for
# unreachables), r2's line shows gaps: 1 answer and 2 stars, while r1, r3 and h2 still answer 3 times.
# CHAIN_ROUTERS=4: r3 is the limited one (tests/lab/chain_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"

# hop OUT N: hop N's line of traceroute's output; answers OUT N: how many probes of hop N were answered.
hop() { grep -E "^ *$2 " <<<"$1"; }
answers() { hop "$1" "$2" | grep -o ' ms' | wc -l; }
trace() { in_node h1 timeout 40 traceroute -n -q 3 -w 1 -m 8 "$H2" 2>&1; }

chain_up --mtus "$CHAIN_MTUS"
out=$(trace)
echo "$out" | sed 's/^/    /'
for ((n = 1; n <= CHAIN_ROUTERS; n++)); do
    check "default limits: hop $n is r$n (10.0.$n.2) with 3 answers" \
        bash -c '[[ $(grep -E "^ *$2 " <<<"$1") =~ ^\ *$2\ +10\.0\.$2\.2\  ]] && (($(grep -E "^ *$2 " <<<"$1" | grep -o " ms" | wc -l) == 3))' _ "$out" "$n"
done
check "default limits: hop $NLINKS is h2 with 3 answers" test "$(answers "$out" $NLINKS)" = 3

chain_up --mtus "$CHAIN_MTUS" --icmp-rate r$RB:per_destination=2/1
grep "per_destination" "$(chain_state)/r$RB.yaml" | sed "s/^/    r$RB.yaml: /"
check "r$RB's config says per_destination {rate: 2, burst: 1}" grep -q "per_destination: {rate: 2, burst: 1}" "$(chain_state)/r$RB.yaml"
check "r1's config keeps the default limits" bash -c "! grep -q per_destination '$(chain_state)/r1.yaml'"
sleep 1   # a full bucket on the limited router
chain_tel "r$RB" "$LAB_TMP/rb-0.json" || fatal "telemetry of r$RB answers"
out=$(trace)
chain_tel "r$RB" "$LAB_TMP/rb-1.json" || fatal "telemetry of r$RB answers"
echo "$out" | sed 's/^/    /'
check "one per 500 ms: r$RB's hop $RB answers once, the other 2 probes are stars" \
    bash -c '(($(grep -E "^ *$2 " <<<"$1" | grep -o " ms" | wc -l) == 1)) && (($(grep -E "^ *$2 " <<<"$1" | grep -o "\*" | wc -l) == 2))' _ "$out" "$RB"
for ((n = 1; n <= CHAIN_ROUTERS; n++)); do
    ((n == RB)) && continue
    check "hop $n (r$n, default limits) still answers 3 times" test "$(answers "$out" $n)" = 3
done
check "hop $NLINKS (h2) still answers 3 times" test "$(answers "$out" $NLINKS)" = 3
# The two stars are r$RB's own doing, counted as such.
expect_delta "$LAB_TMP/rb-0.json" "$LAB_TMP/rb-1.json" icmp_suppressed.time_exceeded 2 2
expect_delta "$LAB_TMP/rb-0.json" "$LAB_TMP/rb-1.json" icmp_suppressed_reason.rate_destination 2 2
finish
