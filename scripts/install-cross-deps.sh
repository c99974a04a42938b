#!/usr/bin/env bash
# Installs the Debian packages the cross targets need (cross/build-all-targets
# and the CI cross stage call this). Idempotent; run as root on Debian 12 after
# scripts/install-deps.sh. Skips apt entirely when everything is present.
#
#   scripts/install-cross-deps.sh            # arm64 + windows (+ wasm's emscripten)
#   scripts/install-cross-deps.sh arm64      # only what linux-arm64 needs (CI)
#
# linux-arm64 takes its libraries from Debian multiarch (dpkg
# --add-architecture arm64): Highway, GoogleTest and the server's libraries as
# :arm64 packages; header-only ones (nlohmann-json, CLI11, Boost) are shared.
# windows-x64 has no Debian MinGW builds of Highway or GoogleTest: the
# toolchain file builds GoogleTest from /usr/src/googletest (package
# googletest) and cross/hwy_shim provides Highway's few out-of-line functions.
set -euo pipefail

want="${*:-arm64 windows}"

packages=(zip python3-yaml)
arm64_packages=()
if [[ " $want " == *" arm64 "* ]]; then
  packages+=(g++-aarch64-linux-gnu qemu-user nlohmann-json3-dev libcli11-dev libboost-dev)
  arm64_packages+=(libhwy-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
                   libssl-dev:arm64 libtomlplusplus-dev:arm64 libjwt-dev:arm64)
fi
if [[ " $want " == *" windows "* ]]; then
  packages+=(g++-mingw-w64-x86-64-posix wine wine64 googletest libhwy-dev)
fi

missing=()
for p in "${packages[@]}" "${arm64_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-cross-deps: all packages present ($want)"
  exit 0
fi

echo "install-cross-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
# :arm64 packages need the architecture registered before apt-get update.
if [ ${#arm64_packages[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
