#!/usr/bin/env bash
# Builds every Lambda function for AWS (arm64, release) the way `sam build` does (cargo-lambda, which brings its
# own Zig from PyPI), then checks that each function in template.yaml has its `bootstrap`: an aarch64 ELF at
# target/lambda/<Binary>/bootstrap (under CARGO_TARGET_DIR when set; odt-local bootstraps prints each one's size).
#
#   scripts/lambda-build.sh            install what is missing, build, check
#   scripts/lambda-build.sh --check    check only (after a build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv="$root/.local/lambda-venv"
log() { echo "[lambda-build] $*" >&2; }

if [[ ${1:-} != --check ]]; then
  if [[ ! -x $venv/bin/cargo-lambda ]]; then
    log "installing cargo-lambda (PyPI, with its Zig) into .local/lambda-venv"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'cargo-lambda==1.9.2' >&2
  fi
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    log "adding the Rust target aarch64-unknown-linux-gnu"
    rustup target add aarch64-unknown-linux-gnu >&2
  fi
  export PATH="$venv/bin:$PATH"
  # The function packages: every [[bin]] of functions/* (the stream and scheduled binaries included).
  packages=()
  for manifest in functions/*/Cargo.toml; do
    packages+=(-p "$(basename "$(dirname "$manifest")")")
  done
  log "cargo lambda build --release --arm64 ${packages[*]}"
  cargo lambda build --release --arm64 --locked "${packages[@]}"
fi
cargo run -q --locked -p odt-local -- bootstraps --dir "${CARGO_TARGET_DIR:-$root/target}/lambda"
