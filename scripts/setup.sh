#!/usr/bin/env bash
# One-time, idempotent set-up of a fresh machine: system packages (espeak-ng + MBROLA voices for the
# demo corpus, chromium for the listening-test check) and the project's virtual environment in .venv/.
# Re-running is cheap: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(espeak-ng mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1 chromium)

missing_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

install_system_packages() {
  local missing
  missing=$(missing_system_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these Debian packages (contrib/non-free enabled): $missing" >&2
    return 0
  fi
  # The MBROLA voices live in Debian's contrib and non-free components.
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  if ! grep -rqs "contrib" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$codename" > /etc/apt/sources.list.d/fakevideo-contrib.sources
  fi
  echo "setup: installing system packages: $missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

create_venv() {
  local stamp=.venv/.fakevideo-installed
  if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
    return 0
  fi
  echo "setup: creating .venv (torch, lightning, hydra, pyworld, ...; about 3 minutes the first time)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade "pip>=24" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import fakevideo, torch, torchaudio, pyworld, pytorch_lightning, hydra" \
    || { echo "setup: the virtual environment is incomplete; see the pip output above" >&2; exit 1; }
  touch "$stamp"
}

install_system_packages
create_venv
echo "setup: ready (.venv/bin/python)"
