#!/usr/bin/env bash
# Installs Mesa's lavapipe (software Vulkan) from Debian bookworm-backports, which gives Dawn (the
# `webgpu` npm package, used by `--backend webgpu`) a GPU adapter on a machine without a GPU.
# Bookworm's own Mesa (22.3) gives Dawn no adapter; backports (>= 25) does.
# Usage (as root): scripts/setup-lavapipe.sh        Then: vulkaninfo --summary (optional)
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
. /etc/os-release
CODENAME="${VERSION_CODENAME:-bookworm}"
if [ "$CODENAME" != "bookworm" ]; then
  echo "setup-lavapipe: written for Debian bookworm (found ${PRETTY_NAME:-unknown}); trying ${CODENAME}-backports" >&2
fi
LIST=/etc/apt/sources.list.d/backports.list
if ! grep -rqs "${CODENAME}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Backports come from the mirror this machine already uses for its main suite.
  MIRROR=$(awk -v s="$CODENAME" '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ (" " s "( |$)") {print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [ -n "$MIRROR" ] || MIRROR=$(awk -v s="$CODENAME" '$1 == "deb" && $3 == s {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  if [ -z "$MIRROR" ]; then
    echo "setup-lavapipe: no apt source for ${CODENAME} found to derive the backports mirror from" >&2
    exit 1
  fi
  echo "deb ${MIRROR} ${CODENAME}-backports main" | $SUDO tee "$LIST" >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends -t "${CODENAME}-backports" mesa-vulkan-drivers libvulkan1
echo "setup-lavapipe: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}, libvulkan1 ' mesa-vulkan-drivers)$(dpkg-query -W -f='${Version}' libvulkan1) in $(( $(date +%s) - start ))s"
