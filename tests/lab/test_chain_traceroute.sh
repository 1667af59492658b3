#!/usr/bin/env bash
# Chain walk-through 2 (docs/pmtud-lab.md "Chains of routers"): h1 - r1 - r2 - r3 - h2.
# traceroute with 3 probes per hop: at the default ICMP limits every router answers all 3. With r2
# limited to one error per 500 ms to any host (per_destination {rate: 2, burst: 1}, Cisco's default for
# unreachables), r2's line shows gaps: 1 answer and 2 stars, while r1, r3 and h2 still answer 3 times.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"

H2=10.0.4.2
# hop OUT N: hop N's line of traceroute's output; answers OUT N: how many probes of hop N were answered.
hop() { grep -E "^ *$2 " <<<"$1"; }
answers() { hop "$1" "$2" | grep -o ' ms' | wc -l; }
trace() { in_node h1 timeout 40 traceroute -n -q 3 -w 1 -m 6 "$H2" 2>&1; }

chain_up --mtus "$CHAIN_MTUS"
out=$(trace)
echo "$out" | sed 's/^/    /'
for n in 1 2 3; do
    check "default limits: hop $n is r$n (10.0.$n.2) with 3 answers" \
        bash -c '[[ $(grep -E "^ *$2 " <<<"$1") =~ ^\ *$2\ +10\.0\.$2\.2\  ]] && (($(grep -E "^ *$2 " <<<"$1" | grep -o " ms" | wc -l) == 3))' _ "$out" "$n"
done
check "default limits: hop 4 is h2 with 3 answers" test "$(answers "$out" 4)" = 3

chain_up --mtus "$CHAIN_MTUS" --icmp-rate r2:per_destination=2/1
grep -A1 "per_destination" "$(chain_state)/r2.yaml" | sed 's/^/    r2.yaml: /'
check "r2's config says per_destination {rate: 2, burst: 1}" grep -q "per_destination: {rate: 2, burst: 1}" "$(chain_state)/r2.yaml"
check "r1's config keeps the default limits" bash -c "! grep -q per_destination '$(chain_state)/r1.yaml'"
sleep 1   # a full bucket on r2
out=$(trace)
echo "$out" | sed 's/^/    /'
check "one per 500 ms: r2's hop 2 answers once, the other 2 probes are stars" \
    bash -c '(($(grep -E "^ *2 " <<<"$1" | grep -o " ms" | wc -l) == 1)) && (($(grep -E "^ *2 " <<<"$1" | grep -o "\*" | wc -l) == 2))' _ "$out"
check "hop 1 (r1, default limits) still answers 3 times" test "$(answers "$out" 1)" = 3
check "hop 3 (r3, default limits) still answers 3 times" test "$(answers "$out" 3)" = 3
check "hop 4 (h2) still answers 3 times" test "$(answers "$out" 4)" = 3
finish
