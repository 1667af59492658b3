#!/usr/bin/env bash
# shellcheck disable=SC2034  # ROUTER_LOG, DPR_LAB_PMD: read by scripts/lab-lib.sh
# The OpenMetrics endpoint (metrics.listen) and the port settings of issue 11: a scrape after real
# traffic shows the forwarded counter and a drop reason with their labels, per-port counters under the
# interface names and the device's xstats, in agreement with DPDK telemetry; clients that connect and
# say nothing, send garbage or never finish a request leave forwarding (and later scrapes) alone; a port
# already in use stops the start with a clear message; changing the key needs a restart.
set -u
source "$(dirname "$0")/lib.sh"
lab_test_init "$@"

LISTEN=127.0.0.1:9111
URL="http://$LISTEN/metrics"
MC="$LAB_TEST_DIR/metrics_client.py"
cfg="$LAB_TMP/metrics.yaml"
cfg_variant "$cfg" --set "metrics.listen=\"$LISTEN\"" --iface-opt lan rx_descriptors=512 --iface-opt lan tx_descriptors=512
lab_test_router "$cfg"

mval() { in_r "$LAB_PY" "$MC" value "$URL" "$1"; }
# expect_metric DESC KEY MIN [MAX]: the sample KEY (name{labels}) is within MIN..MAX.
expect_metric() {
    local desc=$1 key=$2 min=$3 max=${4:-} v
    if ! v=$(mval "$key" 2>&1); then fail "$desc: $key" "$v"; return; fi
    v=${v%.*}
    if ((v >= min)) && [[ -z "$max" || $v -le $max ]]; then pass "$desc: $key = $v"
    else fail "$desc: $key = $v, expected ${min}${max:+..$max}"; fi
}

check "log: lan runs 512 RX / 512 TX descriptors" grep -q "interface 'lan': 512 RX / 512 TX descriptors per queue" "$ROUTER_LOG"
check "log: link state of lan at start" grep -q "interface lan: link up" "$ROUTER_LOG"
check "log: metrics endpoint announced" grep -q "metrics: http://$LISTEN/metrics" "$ROUTER_LOG"

# Traffic: 5 echo requests through (10 forwarded with the replies), 3 to a destination without a route.
check "ping h1 -> h2 through the router" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 5
before_no_route=$(mval 'dprouter_drops_total{reason="no_route"}'); before_no_route=${before_no_route%.*}
before_unreach=$(mval 'dprouter_icmp_sent_total{type="net_unreachable"}'); before_unreach=${before_unreach%.*}
check "ping 192.0.2.1 (no route): no echo reply" ping_none "$DPR_NS_H1" 192.0.2.1 3
expect_metric "forwarded" 'dprouter_events_total{event="forwarded"}' 10
expect_metric "no-route drops" 'dprouter_drops_total{reason="no_route"}' $((before_no_route + 3)) $((before_no_route + 3))
expect_metric "per port" 'dprouter_port_rx_packets_total{port="lan"}' 8
expect_metric "per port" 'dprouter_port_tx_packets_total{port="wan"}' 5
expect_metric "device bytes" 'dprouter_port_rx_bytes_total{port="lan"}' 800
expect_metric "xstats" 'dprouter_port_xstats_total{port="lan",name="rx_good_packets"}' 8
expect_metric "link" 'dprouter_port_link_up{port="wan"}' 1 1
expect_metric "routes" 'dprouter_routes{family="ipv4"}' 5
expect_metric "ICMP by type" 'dprouter_icmp_sent_total{type="net_unreachable"}' $((before_unreach + 3)) $((before_unreach + 3))

# One scrape: every sample carries the prefix (or is one of prometheus-cpp's own exposer_* figures about
# the endpoint), and the whole text stays small.
if in_r "$LAB_PY" "$MC" scrape "$URL" >"$LAB_TMP/scrape.txt" 2>&1; then
    bytes=$(wc -c <"$LAB_TMP/scrape.txt"); samples=$(grep -vc -e '^#' -e '^$' "$LAB_TMP/scrape.txt")
    foreign=$(grep -v -e '^#' -e '^$' "$LAB_TMP/scrape.txt" | grep -v -e '^dprouter_' -e '^exposer_')
    if ((bytes < 65536)) && [[ -z "$foreign" ]]; then pass "scrape: $bytes bytes, $samples samples, all dprouter_* or exposer_*"
    else fail "scrape: $bytes bytes, $samples samples; lines with neither prefix:" "$foreign"; fi
    grep '^exposer_request_latencies{quantile="0.5"}' "$LAB_TMP/scrape.txt" | sed 's/^/  (scrape latency, microseconds) /'
else
    fail "scrape of $URL" "$(cat "$LAB_TMP/scrape.txt")"
fi

# At rest the scrape and DPDK telemetry read the same counters.
sleep 0.5
if tel_snapshot "$LAB_TMP/tel.json"; then
    tel_fwd=$("$LAB_PY" -c 'import json,sys; print([json.loads(l)["/dprouter/stats"]["events"]["forwarded"] for l in open(sys.argv[1]) if l.startswith("{")][0])' "$LAB_TMP/tel.json")
    m_fwd=$(mval 'dprouter_events_total{event="forwarded"}')
    if [[ "${m_fwd%.*}" == "$tel_fwd" ]]; then pass "metrics and telemetry agree: forwarded $tel_fwd"
    else fail "metrics say forwarded ${m_fwd%.*}, telemetry $tel_fwd"; fi
elif [[ -z "${LAB_SKIP_TELEMETRY:-}" ]]; then
    fail "telemetry /dprouter/stats" "$(cat "$LAB_TMP/tel.json")"
fi
xstats_lan() { tel_query /dprouter/xstats,lan | grep -q '"rx_good_packets"'; }
[[ -n "${LAB_SKIP_TELEMETRY:-}" ]] || check "telemetry /dprouter/xstats,lan shows rx_good_packets" xstats_lan

# Misbehaving clients: 60 silent connections, 64 KiB of garbage, a stalled and an endless request,
# held 4 s while a ping crosses the router.
in_r "$LAB_PY" "$MC" abuse 127.0.0.1 9111 60 4 >"$LAB_TMP/abuse.out" 2>&1 &
abuse_pid=$!
lab_on_cleanup "kill $abuse_pid"
sleep 0.5
check "ping h1 -> h2 while clients abuse the endpoint" ping_ok "$DPR_NS_H1" "$DPR_H2_ADDR" 10
wait "$abuse_pid"
check "the abusive client ran (connections opened)" grep -q "connections open" "$LAB_TMP/abuse.out"
check "a scrape after the abuse answers" in_r "$LAB_PY" "$MC" value "$URL" 'dprouter_events_total{event="forwarded"}'
check "router still running" router_alive

# A reload that keeps the key is applied (the bounded check's child process works beside civetweb),
# one that changes it is refused; the endpoint stays either way.
v1="$LAB_TMP/metrics1.yaml"
cfg_variant "$v1" --set "metrics.listen=\"$LISTEN\"" --iface-opt lan rx_descriptors=512 --iface-opt lan tx_descriptors=512 \
    --route "10.77.0.0/16 prohibit"
routes_before=$(mval 'dprouter_routes{family="ipv4"}'); routes_before=${routes_before%.*}
check "reload keeping metrics.listen is applied" router_reload "$v1"
sleep 0.5  # the control thread refreshes its copies every 200 ms
expect_metric "one route more after the reload" 'dprouter_routes{family="ipv4"}' $((routes_before + 1)) $((routes_before + 1))
v2="$LAB_TMP/metrics2.yaml"
cfg_variant "$v2" --set 'metrics.listen="127.0.0.1:9112"' --iface-opt lan rx_descriptors=512 --iface-opt lan tx_descriptors=512
check "reload changing metrics.listen is refused" router_reload_refused "$v2"
check "refusal names the key" grep -q "changing metrics.listen needs a restart" "$ROUTER_LOG"
check "endpoint still answers at $LISTEN" in_r "$LAB_PY" "$MC" scrape "$URL"
check "router stops cleanly on SIGTERM (exit 0)" router_stop

# A port already taken: the router refuses to start and says why.
in_r "$LAB_PY" -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 9111)); s.listen(); print("bound", flush=True); time.sleep(30)' >"$LAB_TMP/squat.out" 2>&1 &
squat_pid=$!
lab_on_cleanup "kill $squat_pid"
lab_wait_for 5 grep -q bound "$LAB_TMP/squat.out"
if DPR_ROUTER_START_TIMEOUT=10 router_start "$LAB_BIN" "$cfg" >/dev/null 2>&1; then
    fail "router started although 127.0.0.1:9111 was in use"
    router_stop
else
    check "start refused: port in use named in the log" grep -q "metrics.listen 127.0.0.1:9111: cannot listen: Address already in use" "$ROUTER_LOG"
fi
kill "$squat_pid" 2>/dev/null
finish
