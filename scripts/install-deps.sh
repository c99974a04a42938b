#!/usr/bin/env bash
# Installs every Debian package that building and testing gemma-core needs.
# Idempotent; run as root on Debian 12. Skips apt entirely when all are present,
# so repeated runs (and CI on a warm machine) cost nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libhwy-dev                      # Highway: SIMD with run-time dispatch
  nlohmann-json3-dev              # JSON (CLI output, fixtures, server)
  libcli11-dev                    # CLI parsing
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy           # tools/make_gemma_gguf.py (test models)
  clang clang-format clang-tidy   # lint + sanitizers
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
