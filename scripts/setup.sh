#!/usr/bin/env bash
# Installs what masktally needs on a Debian/Ubuntu machine with Node.js 20+: the npm packages (npm ci) and
# the Debian packages (influxdb for the managed InfluxDB; with --test also chromium, socat, mosquitto-clients, redis-server and a CJK font
# for the test suite). Safe to run again: it installs only what is missing.
#   usage: scripts/setup.sh [--test | --bench]   (--bench: also mosquitto, for the benchmark's baseline)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v influxd >/dev/null 2>&1 || need+=(influxdb)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v socat >/dev/null 2>&1 || need+=(socat)
  command -v mosquitto_sub >/dev/null 2>&1 || need+=(mosquitto-clients)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
fi
# --bench: the do-it-yourself baseline of `npm run bench` (bench/README.md) needs the Mosquitto broker.
if [ "${1:-}" = "--bench" ]; then
  command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
fi

if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "masktally setup: missing Debian packages: ${need[*]}." >&2
    echo "Install them as root (apt-get install ${need[*]}), or run masktally with --influx http://HOST:8086." >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "masktally setup: apt-get not found; install these packages with your system's tools: ${need[*]}" >&2
    exit 1
  fi
  echo "masktally setup: installing Debian packages: ${need[*]}"
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${need[@]}"
fi

# npm packages: install from the lockfile when node_modules is missing or does not match it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "masktally setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
