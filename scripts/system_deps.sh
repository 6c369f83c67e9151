#!/usr/bin/env bash
# Install the system packages the tests need, when we can: root on Debian/Ubuntu.
# PostgreSQL 15 + PostGIS 3 (the throw-away test server), Chromium + chromedriver
# (browser tests), Noto CJK fonts (Chinese text in screenshots and exports).
# Elsewhere it only says what is missing; the tests then fail under CI=true.
set -euo pipefail
pkgs=(postgresql-15 postgresql-15-postgis-3 chromium chromium-driver fonts-noto-cjk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "missing system packages (install them as root): ${missing[*]}" >&2
fi
