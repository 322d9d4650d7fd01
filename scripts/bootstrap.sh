#!/usr/bin/env bash
# Creates the virtual environment and installs what SeaLink needs, on a fresh Debian machine.
# System programs (mosquitto) are installed with apt when running as root; otherwise we stop and
# name what is missing.
set -euo pipefail
venv=${1:-.venv}

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
# The console's browser tests drive Debian's Chromium (make test only).
if [ "${SEALINK_BOOTSTRAP_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  # A CJK font, so that the console's Chinese renders in headless screenshots.
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${need_apt[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    # Debian starts the packaged broker as a service; the tests start their own on free ports.
  else
    echo "bootstrap: missing system programs: ${need_apt[*]}" >&2
    echo "bootstrap: install them (e.g. 'sudo apt-get install ${need_apt[*]}') and run again" >&2
    exit 1
  fi
fi

py=${PYTHON:-}
if [ -z "$py" ]; then
  for cand in python3.11 python3.12 python3; do
    if command -v "$cand" >/dev/null 2>&1; then py=$cand; break; fi
  done
fi
if [ -z "$py" ]; then
  echo "bootstrap: python3 (3.11 or 3.12) is required" >&2; exit 1
fi
"$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else 1)' || {
  echo "bootstrap: $py is $("$py" --version 2>&1); SeaLink needs Python 3.11 or 3.12" >&2; exit 1; }
"$py" -c 'import venv, ensurepip' 2>/dev/null || {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  else
    echo "bootstrap: the Python venv module is missing (apt-get install python3-venv)" >&2; exit 1
  fi; }

[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/python" -m pip install -q -e '.[test,postgres]'
echo "bootstrap: ready ($venv)"
