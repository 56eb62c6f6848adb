#!/usr/bin/env bash
# GPU check for --backend webgpu, for a machine with a GPU and no network. Run from the project
# folder with node_modules carried (Bun, @tensorflow/tfjs-backend-webgpu and the Dawn binary of the
# npm package "webgpu" are inside it):
#
#   bash bench/gpu-check.sh            (results: $OUT/gpu-check.json, else bench/out/gpu-check.json)
#
# 1. Vulkan: when no libvulkan.so.1 is installed, unpacks the .deb files carried in .gl/ (the
#    Vulkan loader, e.g. libvulkan1_*.deb from Debian bookworm) and runs ldconfig; when no Vulkan
#    driver manifest (ICD) is installed, points VK_DRIVER_FILES at NVIDIA's (the container
#    toolkit's /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json or the driver's own).
# 2. The correctness test: harness/webgpu.test.ts (webgpu vs wasm, same seed).
# 3. bench/gpu-check.ts: training samples/s of the video+flow model (2304 + 2048, C = 25, batch 16)
#    on webgpu and wasm, and KNN's product at D = 4352 on the scorers' wasm kernel and on webgpu.
# Budget: under 5 minutes (each step has its own timeout; GPU_CHECK_BUDGET, default 290 s, bounds
# the benchmark's end; GPU_CHECK_STEPS sets its --steps, default 60; GPU_CHECK_BATCHES its
# --batches, default 16,256). Writes one JSON even when a step fails. For a machine with no Node or Bun at
# all: scripts/pack-gpu-check.sh packs this check, Bun included, into gpu-pack/ (gpu-pack/run.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
OUTDIR="${OUT:-bench/out}"
mkdir -p "$OUTDIR"
BUN="${BUN:-node_modules/.bin/bun}"
[ -x "$BUN" ] || BUN="$(command -v bun || true)"
if [ -z "$BUN" ]; then echo "gpu-check: no bun (node_modules/.bin/bun missing: carry node_modules)" >&2; exit 2; fi
start=$(date +%s)
notes=()

# --- 1. Vulkan loader and driver ---------------------------------------------------------------
# (not `ldconfig -p | grep -q`: grep's early exit makes pipefail report ldconfig's SIGPIPE)
# (or on LD_LIBRARY_PATH: gpu-pack/run.sh puts its carried loader there, with no root needed)
has_vulkan() {
  local l d; l="$(ldconfig -p 2>/dev/null)"; grep -q 'libvulkan\.so\.1' <<<"$l" && return 0
  local IFS=:; for d in ${LD_LIBRARY_PATH:-}; do [ -n "$d" ] && [ -e "$d/libvulkan.so.1" ] && return 0; done; return 1
}
if ! has_vulkan; then
  if compgen -G ".gl/*.deb" >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" / && notes+=("unpacked $(basename "$f")"); done
    ldconfig
  else
    notes+=("no libvulkan.so.1 and no .gl/*.deb to install it from")
  fi
fi
if has_vulkan; then notes+=("libvulkan.so.1 present"); else notes+=("libvulkan.so.1 MISSING: Dawn will find no adapter"); fi
icd_installed=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! grep -qs nvidia <<<"$icd_installed"; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; notes+=("VK_DRIVER_FILES=$icd"); break; fi
  done
fi
notes+=("ICDs installed: ${icd_installed:-none}")
if command -v nvidia-smi >/dev/null; then notes+=("$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | head -1)"); fi
export GPU_CHECK_VULKAN="$(IFS='; '; echo "${notes[*]}")"
echo "gpu-check: $GPU_CHECK_VULKAN" >&2

# --- 2. correctness ------------------------------------------------------------------------------
timeout 120 "$BUN" test harness/webgpu.test.ts >"$OUTDIR/gpu-check-test.log" 2>&1
export GPU_CHECK_TEST_RC=$?
export GPU_CHECK_TEST_SUMMARY="$(grep -E '^\s*[0-9]+ (pass|fail|skip)|SKIPPED|webgpu vs wasm' "$OUTDIR/gpu-check-test.log" | tr '\n' ' ' | tr -d '"\\')"
echo "gpu-check: correctness test rc $GPU_CHECK_TEST_RC: $GPU_CHECK_TEST_SUMMARY" >&2

# --- 3. benchmark --------------------------------------------------------------------------------
left=$(( ${GPU_CHECK_BUDGET:-290} - ($(date +%s) - start) ))
[ "$left" -gt 30 ] || left=30
timeout "$left" "$BUN" bench/gpu-check.ts ${GPU_CHECK_STEPS:+--steps "$GPU_CHECK_STEPS"} ${GPU_CHECK_BATCHES:+--batches "$GPU_CHECK_BATCHES"} --out "$OUTDIR/gpu-check.json" >/dev/null 2>"$OUTDIR/gpu-check-bench.log"
rc=$?
tail -5 "$OUTDIR/gpu-check-bench.log" >&2
if [ "$rc" != 0 ] || [ ! -s "$OUTDIR/gpu-check.json" ]; then
  reason="$(grep -v '^Warning' "$OUTDIR/gpu-check-bench.log" | tail -3 | tr '\n' ' ' | tr -d '"\\')"
  printf '{"error":"bench/gpu-check.ts exited %s","log":"%s","vulkan":"%s","correctnessTest":{"rc":%s,"summary":"%s"}}\n' \
    "$rc" "$reason" "$(tr -d '"\\' <<<"$GPU_CHECK_VULKAN")" "$GPU_CHECK_TEST_RC" "$GPU_CHECK_TEST_SUMMARY" >"$OUTDIR/gpu-check.json"
fi
echo "gpu-check: $(( $(date +%s) - start )) s, results in $OUTDIR/gpu-check.json" >&2
cat "$OUTDIR/gpu-check.json"
[ "$rc" = 0 ] && [ "$GPU_CHECK_TEST_RC" = 0 ]
