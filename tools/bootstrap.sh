#!/usr/bin/env bash
# Installs what the tests and the drill need under .tools/ and tools/drill/node_modules:
# a Python venv with moto, Node 22 and the drill's npm packages. Each part is redone only
# when its pinned list changed, so a second run takes a second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools"

install_if_changed() { # name, pinned list, stamp, command...
  local name=$1 list=$2 stamp=$3; shift 3
  if [ -f "$stamp" ] && cmp -s "$list" "$stamp"; then return; fi
  echo "bootstrap: installing $name"
  "$@"
  cp "$list" "$stamp"
}

make_venv() {
  rm -rf "$tools/venv"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/tools/requirements-test.txt"
}
install_if_changed "moto (Python venv)" "$root/tools/requirements-test.txt" "$tools/venv/.installed" make_venv

drill_packages() {
  (cd "$root/tools/drill" && npm ci --no-audit --no-fund --loglevel=error)
}
install_if_changed "Node 22 and the drill's npm packages" "$root/tools/drill/package-lock.json" \
  "$root/tools/drill/node_modules/.installed" drill_packages
