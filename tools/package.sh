#!/usr/bin/env bash
# make package: the deploy build, run exactly as the README tells users to: `sam build` on
# infra/template.yaml (SAM's rust-cargolambda build method, one `cargo lambda build
# --release` per function), then a check that every artefact exists and starts, and the
# size of each binary and of each zip Lambda would be sent.
#
#   ARCH=arm64 (default) or x86_64: the template's Architecture parameter, passed to sam
#   build (deploy with the same value). arm64 needs the aarch64 standard library
#   (`rustup target add`, which downloads it) and links with zig (from PyPI).
#   On an x86_64 machine the arm64 artefacts are started under qemu-aarch64 when it is
#   installed (Debian: qemu-user, libc6-arm64-cross); otherwise they are checked unstarted.
#
# One release build serves everything: a single `cargo lambda build` of all the binaries
# first (the dependencies compiled once, the links two at a time), with the very command
# line and environment of SAM's per-function calls, which then find everything built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arch=${ARCH:-arm64}
venv="$root/.tools/venv-sam"
requirements="$root/tools/requirements-sam.txt"

if ! { [ -f "$venv/.installed" ] && cmp -s "$requirements" "$venv/.installed"; }; then
  echo "package: installing the SAM CLI, cargo-lambda and zig (.tools/venv-sam)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.installed"
fi
export PATH="$venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

case "$arch" in
  arm64)
    target=aarch64-unknown-linux-gnu
    arch_flag=(--arm64)
    if ! rustup target list --installed | grep -qx "$target"; then
      rustup target add "$target" || {
        echo "package: the aarch64 standard library cannot be installed here; build for this machine's" >&2
        echo "package: architecture instead with: make package ARCH=x86_64" >&2
        exit 2
      }
    fi
    ;;
  x86_64)
    target=x86_64-unknown-linux-gnu
    arch_flag=()
    # On an x86_64 machine the system linker serves; zig is only needed to cross-link.
    if [ "$(uname -m)" = x86_64 ]; then export CARGO_LAMBDA_COMPILER=cargo; fi
    ;;
  *) echo "package: ARCH must be arm64 or x86_64, not $arch" >&2; exit 2 ;;
esac

# The binaries the template builds (its functions' BuildProperties: Binary).
mapfile -t binaries < <(sed -n 's/^ *Binary: *//p' "$root/infra/template.yaml")
started=$SECONDS
(cd "$root" && cargo lambda build --release "${arch_flag[@]}" "${binaries[@]/#/--bin=}")
echo "package: cargo lambda build (${#binaries[@]} binaries, $target) took $((SECONDS - started)) s"

started=$SECONDS
(cd "$root/infra" && sam build --parameter-overrides "Architecture=$arch")
echo "package: sam build took $((SECONDS - started)) s"

"$root/.tools/venv/bin/python" "$root/tools/check_artefacts.py" --arch "$arch" "$root/infra/.aws-sam/build"
