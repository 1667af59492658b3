#!/usr/bin/env bash
# scripts/lab-chain.sh itself: `status` shows every router's counters; `down` removes everything `up`
# made (router processes, namespaces, the state directory, the routers' DPDK runtime directories), also
# after an `up` that failed half-way (here r2's config is refused after r1 already runs); bad arguments
# are refused before anything is made.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/chain_lib.sh"
chain_test_init "$@"
state=$(chain_state)
leftovers() {  # prints what of the chain is still there; succeeds when nothing is
    local found=""
    found+=$(ip netns list | awk '{print $1}' | grep -E "^${CHAIN_PREFIX}ch-" | tr '\n' ' ')
    [[ -e "$state" ]] && found+=" $state"
    found+=$(ls -d /var/run/dpdk/"${CHAIN_PREFIX}"chain-r* 2>/dev/null | tr '\n' ' ')
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && found+=" pid $p"; done
    echo "$found"
    [[ -z "${found// /}" ]]
}

chain_up --mtus 1500,1400,1500
pids=("$(cat "$state/r1.pid")" "$(cat "$state/r2.pid")")
out=$(bash "$CHAIN_SCRIPT" status --prefix "$CHAIN_PREFIX" 2>&1)
echo "$out" | sed 's/^/    /'
check "status: r1 and r2 run, each with its counters (ports.linkJ.rx ...)" \
    bash -c '(($(grep -c "^r[12]  pid [0-9]*, netns" <<<"$1") == 2)) && (($(grep -c "ports\.link[0-9]*\.rx=" <<<"$1") == 2))' _ "$out"
check "down" bash "$CHAIN_SCRIPT" down --prefix "$CHAIN_PREFIX"
check "after down nothing of the chain is left" leftovers

# r2's port gets a key twice: its config is refused when r1 is already running.
out=$(bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500,1400,1300,1500 --set r2.link3.mtu=1300 2>&1)
rc=$?
echo "$out" | tail -n 3 | sed 's/^/    /'
check "up with a refused router config fails" test "$rc" = 1
check "and names the refused config with FILE:LINE:COL: error:" grep -qE "r2\.yaml:[0-9]+:[0-9]+: error:" <<<"$out"
pids=()
check "after the failed up nothing of the chain is left" leftovers

check_not "up refuses --mtus 1500" bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500
check_not "up refuses an MTU of 60" bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500,60
check_not "up refuses --ipv6 with a 1200-byte link" bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500,1200 --ipv6
check_not "up refuses --set for a port r1 does not have" bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500,1500 --set r1.link3.mtu=1
check_not "up refuses --icmp-rate for a router that does not exist" bash "$CHAIN_SCRIPT" up --prefix "$CHAIN_PREFIX" --bin "$LAB_BIN" --mtus 1500,1500 --icmp-rate r2:global=1/1
check "refused arguments made nothing" leftovers
finish
