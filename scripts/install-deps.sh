#!/usr/bin/env bash
# Installs every Debian 12 package dprouter needs to build, test, run its lab and benchmark: the list is
# scripts/debian-packages.txt (scripts/check-deps.py checks that the tests need nothing else).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
list="$(dirname "$0")/debian-packages.txt"
mapfile -t pkgs < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$list")
((${#pkgs[@]})) || { echo "$0: no packages in $list" >&2; exit 1; }
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
