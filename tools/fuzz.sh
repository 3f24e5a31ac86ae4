#!/usr/bin/env bash
# Fuzz Inkling's untrusted-input parsers with cargo-fuzz (libFuzzer): IDX files, safetensors weights
# and canvas drawings. Not part of `npm test`; run by hand with `npm run fuzz`.
#
#   bash tools/fuzz.sh                    every target, 30 s each
#   FUZZ_SECONDS=60 bash tools/fuzz.sh    longer
#   bash tools/fuzz.sh idx preprocess     some targets
#   FUZZ_SANITIZER=none bash tools/fuzz.sh   no AddressSanitizer (about 2x more execs; default: address)
#   FUZZ_JOBS=2 bash tools/fuzz.sh        parallel libFuzzer jobs per target (logs in fuzz/fuzz-N.log)
#
# Corpora start from the small valid inputs under fuzz/seeds/<target>/ and grow in fuzz/corpus/<target>/
# (git-ignored). A crash leaves its input in fuzz/artifacts/<target>/ and stops the script (exit 1):
# reproduce with `cargo +nightly fuzz run <target> <file>`, then turn it into a test in tests/robustness.rs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

seconds="${FUZZ_SECONDS:-30}"
sanitizer="${FUZZ_SANITIZER:-address}"
jobs="${FUZZ_JOBS:-1}"
all_targets=(idx safetensors preprocess)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all_targets[@]}")

# Longest input per target: enough for a 1-image IDX pair (gzip too), a weights header, a 64×64 RGBA canvas.
max_len() {
  case "$1" in
    idx) echo 4096 ;;
    safetensors) echo 8192 ;;
    preprocess) echo 16387 ;;
    *) echo "unknown fuzz target '$1' (expected: ${all_targets[*]})" >&2; exit 2 ;;
  esac
}

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz: installing the nightly toolchain (cargo-fuzz needs it)" >&2
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

for t in "${targets[@]}"; do
  len="$(max_len "$t")"
  mkdir -p "corpus/$t"
  cp -n "seeds/$t/"* "corpus/$t/" 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s (max_len $len, sanitizer $sanitizer)" >&2
  parallel=()
  # With -jobs, libFuzzer writes each job's log to fuzz-N.log instead of the terminal: only when asked.
  [[ "$jobs" -gt 1 ]] && parallel=(-jobs="$jobs" -workers="$jobs")
  cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len="$len" -print_final_stats=1 "${parallel[@]}"
done
echo "fuzz: no crashes in ${targets[*]} (${seconds}s each)" >&2
