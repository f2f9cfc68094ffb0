#!/usr/bin/env bash
# Runs the benchmark suite (issue 8) and prints one table: figure, target, ratio. Benchmarks are not tests: a
# missed target is printed as MISSED, never an exit status. Starts and stops its own local services (as
# scripts/test.sh does); builds release binaries for this machine. Results and the machine go to
# target/bench/results.md; BENCHMARKS.md records a run.
#
#   scripts/bench.sh                 everything (about 15-25 minutes on 2 cores)
#   scripts/bench.sh quick           1,000 and 10,000 devices only, no criterion
#   BENCH_SIZES=1000,10000 scripts/bench.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mode=${1:-full}
sizes=${BENCH_SIZES:-$([[ $mode == quick ]] && echo 1000,10000 || echo 1000,10000,100000)}
largest=${sizes##*,}
name="bench-$$"
out="$root/target/bench"
mkdir -p "$out"
results="$out/results.md"
: > "$out/figures.md"
trap 'bash scripts/services.sh stop "$name" >/dev/null 2>&1 || true' EXIT

echo "[bench] release build (functions and the harness)" >&2
cargo build --release --locked -p odt-benches -p integration -p platform-config -p fleet-sync -p deploy-trigger \
  -p status-export --bins >&2
# DynamoDB Local slows down as its in-memory database grows (the same run is 5-10x slower on an instance that
# already served other parts), so every part gets fresh services.
fresh() {
  bash scripts/services.sh stop "$name" >/dev/null 2>&1 || true
  bash scripts/services.sh start "$name" >&2
  set -a
  # shellcheck disable=SC1090
  source ".local/run/$name/env"
  set +a
}
export ODT_BENCH_OUT="$out/figures.md"
bench=(target/release/odt-bench)
run() { echo "[bench] odt-bench $*" >&2; fresh; "${bench[@]}" "$@"; }

run inprocess --rows "$sizes"
for n in ${sizes//,/ }; do
  # Okta's 600 calls a minute as 100 calls per 10-second window: the same rate, and a run of a few hundred
  # calls crosses windows (so waiting for the reset is measured).
  run reconcile --devices "$n" --rate-limit 100 --window-secs 10 --exports
done
run scope-change --devices 1000
# Hexnode's 30 calls a minute on a clock running 60 times real time (a 100,000-device re-read: about 5 real minutes).
run pacing --devices "$sizes" --speedup 60
for n in ${sizes//,/ }; do
  run convergence --devices "$n" --speedup 60 --hook-speedup 10
done
run hooks --rounds 2
run hooks --concurrency 1 --rounds 10
fresh
echo "[bench] DynamoDB Local's own write rate" >&2
.local/venv/bin/python3 benches/scripts/ddb_local_writes.py "${AWS_ENDPOINT_URL_DYNAMODB##*:}" 2000 | tee "$out/ddb-local.md"
if [[ -x scripts/lambda-build.sh && -n ${BENCH_LAMBDA_BUILD:-} ]]; then
  bash scripts/lambda-build.sh >&2 || echo "[bench] lambda-build failed; arm64 sizes left out" >&2
fi
run cold-start
if [[ $mode != quick ]]; then
  echo "[bench] criterion (cargo bench -p odt-benches)" >&2
  cargo bench --locked -p odt-benches --bench inprocess 2>&1 | grep -E '^(scope|export)/|time:' | tee "$out/criterion.txt"
fi

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB memory, $(uname -sr)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)'), sizes: $sizes (largest $largest)"
  echo
  echo "| what | figure | target | ratio | |"
  echo "| --- | --- | --- | --- | --- |"
  cat "$out/figures.md"
} > "$results"
cat "$results"
missed=$(grep -c MISSED "$out/figures.md" || true)
echo "[bench] $(grep -c '^|' "$out/figures.md") figures, $missed missed; table in $results" >&2
