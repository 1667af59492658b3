#!/usr/bin/env bash
# Installs every Debian 12 package dprouter needs to build, test, run its lab and benchmark.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(
  # build
  build-essential pkg-config meson ninja-build
  libdpdk-dev dpdk dpdk-dev libyaml-cpp-dev libboost-program-options-dev libgtest-dev libpcap-dev libnuma-dev
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # lab and benchmark tools
  iproute2 ethtool iputils-ping iputils-tracepath traceroute tcpdump tshark python3 python3-scapy
  netcat-openbsd dpdk-doc procps
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
