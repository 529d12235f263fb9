#!/bin/sh
# Checks and installs the Debian packages the project needs.
#
#   scripts/deps.sh check build      exit 1 with the apt-get line when a build package is missing
#   scripts/deps.sh install SET      installs what is missing of SET (build, test, demo, all)
#
# Packages are checked with dpkg, so a check costs no network access.
set -eu

BUILD_PKGS="gcc make pkg-config libsodium-dev libqrencode-dev libpng-dev libjpeg62-turbo-dev \
liblmdb-dev libcivetweb-dev libcbor-dev libcjson-dev zlib1g-dev libzbar-dev \
libcairo2-dev libpango1.0-dev fonts-dejavu-core libpoppler-glib-dev libseccomp-dev libzxing-dev g++ libp11-kit-dev"
TEST_PKGS="libcmocka-dev zbar-tools clang libclang-rt-14-dev clang-format cppcheck lmdb-utils curl python3 python3-yaml python3-jsonschema \
nginx-light openssl wrk chromium ffmpeg poppler-utils zxing-cpp-tools python3-pil python3-numpy \
softhsm2 debhelper dpkg-dev fakeroot lintian logrotate"
DEMO_PKGS="curl zbar-tools softhsm2 poppler-utils"

mode=${1:-check}
set_name=${2:-build}

case "$set_name" in
  build) wanted="$BUILD_PKGS" ;;
  test)  wanted="$BUILD_PKGS $TEST_PKGS" ;;
  demo)  wanted="$BUILD_PKGS $DEMO_PKGS" ;;
  all)   wanted="$BUILD_PKGS $TEST_PKGS $DEMO_PKGS" ;;
  *) echo "deps.sh: unknown set '$set_name' (build, test, demo, all)" >&2; exit 2 ;;
esac

missing=""
for p in $wanted; do
  case " $missing " in *" $p "*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

# Node.js builds the web pages. Machines often carry it from another source, with npm
# bundled (Debian's npm package would conflict): install Debian's only when node is absent.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi

[ -z "$missing" ] && exit 0

if [ "$mode" = check ]; then
  echo "Missing Debian packages:$missing" >&2
  echo "Install them with:  sudo apt-get install -y$missing   (or: make deps)" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "Installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
