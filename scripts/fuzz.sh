#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for N seconds (default 20, the CI run): hook_payload, link_header,
# ca_certificate, subject. Installs cargo-fuzz (crates.io, --locked) if missing. cargo-fuzz needs nightly
# compiler features; on a stable toolchain they are enabled with RUSTC_BOOTSTRAP=1.
#   scripts/fuzz.sh            20 s per target
#   scripts/fuzz.sh 1800       half an hour per target (by hand)
#   FUZZ_TARGETS="subject" scripts/fuzz.sh 600
# The working corpus grows in fuzz/corpus/<target> (not committed); fuzz/seeds/<target> holds the committed
# real inputs it starts from. A crash stops the run (nonzero) and leaves its input in fuzz/artifacts/<target>;
# replay it with `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz <target> <file>`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
secs=${1:-20}
targets=${FUZZ_TARGETS:-hook_payload link_header ca_certificate subject}
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz (crates.io, --locked)" >&2
  cargo install cargo-fuzz --locked >&2
fi
# The CA certificate target reads DER too: the PEM seeds (.crt) decoded, into the working corpus.
mkdir -p fuzz/corpus/ca_certificate
for pem in fuzz/seeds/ca_certificate/*.crt; do
  grep -v -- '-----' "$pem" | base64 -d > "fuzz/corpus/ca_certificate/$(basename "$pem" .crt).der"
done
# One build for every target (release with debug assertions, address sanitizer).
cargo fuzz build --fuzz-dir fuzz
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  echo "== fuzz $t for ${secs}s"
  log="fuzz/corpus/$t.log"
  rc=0
  cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [[ $rc -ne 0 ]]; then
    tail -n 40 "$log" >&2
    echo "fuzz target $t failed; its input is in fuzz/artifacts/$t" >&2
    exit 1
  fi
done
