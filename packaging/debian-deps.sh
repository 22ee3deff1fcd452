#!/usr/bin/env bash
# Installs the Debian libraries that QtWebEngine (and a virtual X screen, for screenshots) needs.
# Does nothing where they are present, off Debian, or without root (then it lists what is missing).
set -euo pipefail

packages=(
  libnss3 libnspr4 libxkbcommon0 libxkbcommon-x11-0 libgl1 libegl1 libgbm1 libfontconfig1
  libfreetype6 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libasound2 libdbus-1-3
  libglib2.0-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 fonts-dejavu-core
)
if [ "${1:-}" = "--screen" ]; then
  packages+=(xvfb xauth)
fi

command -v dpkg-query >/dev/null 2>&1 || exit 0

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
python_bin=${PYTHON:-python3}
if ! "$python_bin" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
  echo "Cardsmith needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
