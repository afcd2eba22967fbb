#!/usr/bin/env bash
# The test suite on Python 3.13, installed from requirements-dev.lock as README.md says.
#
# This machine's Debian (bookworm) has Python 3.11 only, so Python 3.13 comes from Debian
# trixie, which ships it: debootstrap puts a minimal trixie in $VOC_CI_TRIXIE (kept for
# the next run) and the suite runs there under chroot, with this checkout bind-mounted at
# /src. The host's apt sources and packages are left as they are. PostgreSQL is the host's
# (the chroot shares the network): pass VOC_TEST_POSTGRES_URL. The browser tests skip
# there (no chromium in the chroot); .ci/run runs them on 3.11.
# Usage (root): bash .ci/py313.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
root=${VOC_CI_TRIXIE:-/var/cache/voc-ci/trixie}
mirror=${VOC_CI_MIRROR:-http://deb.debian.org/debian}
log() { echo "[py3.13] $*" >&2; }

if [ ! -x "$root/usr/bin/python3.13" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  fi
  log "building a Debian trixie root in $root (a few minutes, once)"
  rm -rf "$root.partial"
  mkdir -p "$(dirname "$root")"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    trixie "$root.partial" "$mirror" >&2
  rm -rf "$root"
  mv "$root.partial" "$root"
fi

# Name resolution and the host's own certificate authorities (a proxy's, if any).
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

mounted=()
release() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R -l "${mounted[i]}" 2>/dev/null || true
  done
}
trap release EXIT
mkdir -p "$root/src"
mount -t proc proc "$root/proc"
mounted+=("$root/proc")
mount --rbind /dev "$root/dev"
mounted+=("$root/dev")
mount --make-rslave "$root/dev"
mount --bind "$PWD" "$root/src"
mounted+=("$root/src")

# A clean environment inside: the host's pip settings name folders the chroot lacks.
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 CI="${CI:-}" \
  VOC_TEST_POSTGRES_URL="${VOC_TEST_POSTGRES_URL:-}" PIP_DISABLE_PIP_VERSION_CHECK=1 \
  /bin/bash -euo pipefail -c '
    cd /src
    rm -rf /opt/venv313
    python3.13 -m venv /opt/venv313
    . /opt/venv313/bin/activate
    echo "== virtualenv (/opt/venv313 in the chroot, $(python --version))"
    pip install --require-hashes -r requirements-dev.lock && pip install --no-deps -e .
    echo "== tests on $(python --version)"
    pytest -p no:cacheprovider "$@"
  ' py313 "$@"
