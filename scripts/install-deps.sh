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
  python3 python3-numpy           # test scripts
  python3-jinja2                  # chat-template reference (tokenizer tests)
  libsimdjson-dev                 # fast tokenizer.json parsing
  libsentencepiece-dev            # tokenizer benchmark peer (bench only)
  libboost-dev libssl-dev         # gemma-server: Beast/Asio HTTP + WebSocket
  libtomlplusplus-dev             # server config
  libjwt-dev                      # JWT auth
  prometheus                      # promtool checks /metrics in tests
  python3-yaml                    # CI workflow + deploy manifest checks (ctest label cross)
  emscripten                      # gemma-wasm
  chromium                        # browser tests (headless, driven by playwright-core)
  clang clang-format clang-tidy   # lint + sanitizers
)

# Node.js + npm run the reference tools in tests (OpenAI SDK, HF tokenizers).
# Machines that already have them (e.g. from NodeSource) keep theirs: Debian's
# npm package would conflict with a non-Debian nodejs.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

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
