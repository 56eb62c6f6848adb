#!/usr/bin/env bash
# Packs what bench/gpu-check.sh needs into gpu-pack/ (gitignored), for a GPU machine with no
# network, no Node and no Bun, to which at most 64 MiB travel (the repo's working tree included):
#
#   bash scripts/pack-gpu-check.sh            then, on that machine:  bash gpu-pack/run.sh [OUTDIR]
#
# gpu-pack/ holds (asserted under 60 MiB; MANIFEST.txt lists it):
#   bun.xz            Bun's linux-x64 binary (node_modules/bun), xz -9 (cached in .cache/gpu-pack/:
#                     compressing it takes minutes on two cores)
#   project.tar.xz    multiood/: the project's files that the check imports (found by `bun build
#                     --metafile` from bench/gpu-check.ts and harness/webgpu.test.ts, plus the wasm
#                     kernels' workers), bench/gpu-check.sh, the PyTorch references, and node_modules
#                     with only the packages those imports reach (tfjs-core, -backend-cpu, -wasm,
#                     -webgpu and their runtime deps), without source maps, typings, tests and
#                     browser bundles, and of the `webgpu` package only Dawn's linux-x64 build
#   debs/             the Vulkan loader (libvulkan1) and libglvnd's libGLdispatch/libGLX (libglvnd0,
#                     libglx0: NVIDIA's Vulkan ICD, libGLX_nvidia.so.0, links them), amd64 .deb
#                     files from apt. No Mesa/lavapipe: an NVIDIA machine brings its own Vulkan
#                     driver (ICD), and lavapipe would only be a CPU fallback there.
#   run.sh            the one command for the GPU machine (written below; see its header)
#
# Needs: node_modules installed (npm ci, with the optional webgpu packages), xz, and apt-get
# download (network) unless GPU_PACK_DEBS names a folder that already holds the .deb files.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PACK="$ROOT/gpu-pack"
LIMIT=$((60 * 1024 * 1024))
BUN_EXE="$ROOT/node_modules/bun/bin/bun.exe"
[ -x "$BUN_EXE" ] || { echo "pack-gpu-check: no $BUN_EXE (npm ci first)" >&2; exit 2; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "pack-gpu-check: no Dawn (npm install webgpu@0.6.2)" >&2; exit 2; }
[ -d node_modules/@tensorflow/tfjs-backend-webgpu ] || { echo "pack-gpu-check: no @tensorflow/tfjs-backend-webgpu" >&2; exit 2; }
BUN_VERSION="$("$BUN_EXE" --version)"
STAGE="$(mktemp -d /tmp/gpu-pack-stage.XXXXXX)"
trap 'rm -rf "$STAGE"' EXIT
rm -rf "$PACK"
mkdir -p "$PACK/debs" "$ROOT/.cache/gpu-pack"
start=$(date +%s)

# --- Bun, compressed (cached by version and size) ---------------------------------------------------
cached="$ROOT/.cache/gpu-pack/bun-$BUN_VERSION-$(stat -c %s "$BUN_EXE").xz"
if [ ! -s "$cached" ]; then
  echo "pack-gpu-check: compressing Bun $BUN_VERSION (xz -9; minutes)" >&2
  xz -T0 -9 -c "$BUN_EXE" >"$cached.tmp" && mv "$cached.tmp" "$cached"
fi
cp "$cached" "$PACK/bun.xz"

# --- the project's files and the packages they reach ---------------------------------------------
M="$STAGE/multiood"
mkdir -p "$M"
"$BUN_EXE" build bench/gpu-check.ts harness/webgpu.test.ts harness/webgpu.ts \
  methods/compute/sgemm-worker.ts methods/compute/dgemm-worker.ts \
  --target=bun --outdir="$STAGE/bundle" --metafile="$STAGE/meta.json" \
  --external webgpu --external @tensorflow/tfjs-backend-webgpu --external 'bun:test' >/dev/null
"$BUN_EXE" -e '
  const m = await Bun.file(process.argv[1]).json();
  const files = Object.keys(m.inputs);
  const pkgs = new Set(files.filter((f) => f.startsWith("node_modules/")).map((f) => {
    const p = f.split("/"); return p[1].startsWith("@") ? `${p[1]}/${p[2]}` : p[1];
  }));
  await Bun.write(process.argv[2], files.filter((f) => !f.startsWith("node_modules/")).sort().join("\n") + "\n");
  await Bun.write(process.argv[3], [...pkgs, "@tensorflow/tfjs-backend-webgpu"].sort().join("\n") + "\n");
' "$STAGE/meta.json" "$STAGE/project-files" "$STAGE/packages"
{
  cat "$STAGE/project-files"
  printf '%s\n' package.json tsconfig.json bunfig.toml bench/gpu-check.sh \
    bench/reference/training_reference.py bench/reference/training_reference_gpu.py
} | sort -u | while read -r f; do mkdir -p "$M/$(dirname "$f")"; cp "$f" "$M/$f"; done
while read -r p; do
  (cd node_modules && find "$p" -type f \( -name '*.js' -o -name '*.cjs' -o -name '*.mjs' -o -name '*.wasm' -o -name '*.json' \) \
    ! -name '*_test.js' ! -name '*.min.js' ! -name '*.es2017.js' ! -name '*.fesm.js' ! -name '*.externs.js' \
    ! -path '*/miniprogram/*' ! -path '*/node_modules/*' -print0 |
    tar --null -T - -cf -) | (mkdir -p "$M/node_modules" && tar -xf - -C "$M/node_modules")
done <"$STAGE/packages"
mkdir -p "$M/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$M/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$M/node_modules/webgpu/dist/linux-x64/"
echo "webgpu" >>"$STAGE/packages"
(cd "$STAGE" && tar -cf - multiood | xz -T0 -9 >"$PACK/project.tar.xz")

# --- Vulkan loader .deb files ---------------------------------------------------------------------
DEBS="libvulkan1 libglvnd0 libglx0"
if [ -n "${GPU_PACK_DEBS:-}" ]; then
  cp "$GPU_PACK_DEBS"/*.deb "$PACK/debs/"
else
  (cd "$PACK/debs" && apt-get download -oAPT::Architecture=amd64 $DEBS >/dev/null)
fi
for d in $DEBS; do compgen -G "$PACK/debs/${d}_*_amd64.deb" >/dev/null || { echo "pack-gpu-check: no $d .deb" >&2; exit 1; }; done

# --- run.sh: the one command for the GPU machine ---------------------------------------------------
cat >"$PACK/run.sh" <<'RUN'
#!/usr/bin/env bash
# The GPU check, self-contained (made by scripts/pack-gpu-check.sh). On a linux-x64 machine with no
# network, Node or Bun; root not needed:
#
#   bash gpu-pack/run.sh [OUTDIR]          (default: $OUT, else ./gpu-check-out)
#
# 1. unpacks Bun and the project into a temporary folder, removed at the end (GPU_PACK_WORK to
#    choose a folder, which is kept)
# 2. Vulkan: uses the system's libvulkan.so.1, or else the carried loader (debs/, unpacked there
#    with dpkg -x, put on LD_LIBRARY_PATH; GPU_PACK_CARRIED_VULKAN=1 forces it); when no
#    VK_DRIVER_FILES is set, points it at a manifest naming NVIDIA's libEGL_nvidia.so.0 (headless),
#    else at NVIDIA's own manifest
# 3. bench/gpu-check.sh with the carried Bun: harness/webgpu.test.ts (webgpu vs wasm, same seed),
#    then bench/gpu-check.ts (training samples/s on webgpu and wasm, KNN product)
# 4. bench/reference/training_reference_gpu.py: the same training cells in PyTorch (CUDA if
#    torch sees a GPU; python3 with torch, or PYTHON=...)
# 5. writes OUTDIR/gpu-pack.json (everything, one object) and OUTDIR/gpu-pack-table.md
# Everything runs under one timeout (GPU_PACK_BUDGET, default 470 s): it ends inside 8 minutes.
set -uo pipefail
PACKDIR="$(cd "$(dirname "$0")" && pwd)"
BUDGET="${GPU_PACK_BUDGET:-470}"
OUTDIR="${1:-${OUT:-$PWD/gpu-check-out}}"
mkdir -p "$OUTDIR" && OUTDIR="$(cd "$OUTDIR" && pwd)"
if [ -z "${GPU_PACK_INNER:-}" ]; then
  t0=$(date +%s)
  GPU_PACK_INNER=1 GPU_PACK_T0="$t0" timeout -k 10 "$BUDGET" bash "$0" "$OUTDIR"
  rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -s "$OUTDIR/gpu-pack.json" ]; then
    printf '{"error":"gpu-pack/run.sh: exit %s after %s s (budget %s s)","files":"%s"}\n' "$rc" \
      "$(( $(date +%s) - t0 ))" "$BUDGET" "$(ls "$OUTDIR" | tr '\n' ' ')" >"$OUTDIR/gpu-pack.json"
    cat "$OUTDIR/gpu-pack.json"
  fi
  exit "$rc"
fi
start="$GPU_PACK_T0"
left() { echo $(( BUDGET - ($(date +%s) - start) )); }
say() { echo "gpu-pack: $*" >&2; }
if [ -n "${GPU_PACK_WORK:-}" ]; then WORK="$GPU_PACK_WORK"; mkdir -p "$WORK"
else WORK="$(mktemp -d /tmp/gpu-pack.XXXXXX)"; trap 'rm -rf "$WORK"' EXIT; fi

# --- 1. unpack ---------------------------------------------------------------------------------------
unxz_to() { # file.xz -> stdout
  if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}
unxz_to "$PACKDIR/bun.xz" >"$WORK/bun" && chmod +x "$WORK/bun"
unxz_to "$PACKDIR/project.tar.xz" | tar -xf - -C "$WORK"
BUN="$WORK/bun"
"$BUN" --version >/dev/null || { say "the carried Bun does not run here"; exit 3; }
say "unpacked into $WORK in $(( $(date +%s) - start )) s (Bun $("$BUN" --version))"

# --- 2. Vulkan ---------------------------------------------------------------------------------------
sys_vulkan() { local l; l="$(ldconfig -p 2>/dev/null)"; grep -q 'libvulkan\.so\.1' <<<"$l"; }
deb_x() { # dpkg -x, or by hand (an ar archive holding data.tar.*) where dpkg is missing
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'PY'
import io, lzma, sys, tarfile
data = open(sys.argv[1], 'rb').read(); i = 8
while i < len(data):
    name = data[i:i+16].decode().strip().rstrip('/'); size = int(data[i+48:i+58]); body = data[i+60:i+60+size]
    if name.startswith('data.tar'):
        if name.endswith('.zst'): sys.exit('data.tar.zst needs dpkg-deb or zstd')
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
}
if [ -n "${GPU_PACK_CARRIED_VULKAN:-}" ] || ! sys_vulkan; then
  for f in "$PACKDIR"/debs/*.deb; do deb_x "$f" "$WORK/vk" || say "could not unpack $(basename "$f")"; done
  export LD_LIBRARY_PATH="$WORK/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  GPU_PACK_LOADER="carried ($(ls "$PACKDIR"/debs | tr '\n' ' '))"
else
  GPU_PACK_LOADER="system"
fi
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; done
# NVIDIA's stock manifest names libGLX_nvidia.so.0, whose Vulkan entry point returns no
# vkCreateInstance on a headless machine (no X server; seen on the H200 container: "Could not get
# 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'"). The same driver's EGL library exports the
# same ICD entry points without needing a display, so a manifest naming it is written and preferred.
egl_icd() {
  local d l; l="$(ldconfig -p 2>/dev/null)"
  for d in /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
    [ -e "$d/libEGL_nvidia.so.0" ] && { echo "$d/libEGL_nvidia.so.0"; return; }
  done
  sed -n 's/.*libEGL_nvidia\.so\.0 .*=> \(.*\)$/\1/p' <<<"$l" | head -1
}
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -n "$(egl_icd)" ]; then
  printf '{"file_format_version":"1.0.1","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$(egl_icd)" >"$WORK/nvidia_egl_icd.json"
  export VK_DRIVER_FILES="$WORK/nvidia_egl_icd.json" VK_ICD_FILENAMES="$WORK/nvidia_egl_icd.json"
  say "Vulkan driver: NVIDIA's ICD through $(egl_icd) (headless EGL; the GLX manifest needs a display)"
fi
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; break; fi
  done
fi
say "Vulkan loader: $GPU_PACK_LOADER; driver files: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-the loader search path}}"
export GPU_PACK_LOADER

# --- 3. the WebGPU test and the webgpu/wasm benchmark (bench/gpu-check.sh) -----------------------------
reserve=110 # for PyTorch and the summary
(cd "$WORK/multiood" && BUN="$BUN" OUT="$OUTDIR" GPU_CHECK_BUDGET=$(( $(left) - reserve - 10 )) \
  timeout -k 5 $(( $(left) - reserve )) bash bench/gpu-check.sh >/dev/null)
say "bench/gpu-check.sh exit $? at $(( $(date +%s) - start )) s"

# --- 4. PyTorch, same cells ---------------------------------------------------------------------------
PY="${PYTHON:-}"
if [ -z "$PY" ]; then for p in python3 /usr/bin/python3; do if "$p" -c 'import torch' 2>/dev/null; then PY="$p"; break; fi; done; fi
if [ -n "$PY" ]; then
  (cd "$WORK/multiood" && PYTHONUNBUFFERED=1 timeout -k 5 $(( $(left) - 15 )) "$PY" bench/reference/training_reference_gpu.py \
    --out "$OUTDIR/torch-gpu.json" >/dev/null 2>"$OUTDIR/torch-gpu.log")
  say "PyTorch exit $? at $(( $(date +%s) - start )) s"
else
  echo '{"error":"no python3 with torch"}' >"$OUTDIR/torch-gpu.json"
fi

# --- 5. one JSON --------------------------------------------------------------------------------------
GPU_PACK_SECONDS=$(( $(date +%s) - start )) timeout 20 "$BUN" -e '
  const [dir, manifest] = process.argv.slice(1);
  const read = async (f) => { try { return await Bun.file(`${dir}/${f}`).json(); } catch (e) { return { error: `${f}: ${String(e).split("\n")[0]}` }; } };
  const tfjs = await read("gpu-check.json"), torch = await read("torch-gpu.json");
  const rows = [];
  for (const t of tfjs.training ?? []) rows.push({ engine: `tfjs ${t.backend}`, cell: t.replicas ? `${t.replicas.join(" + ")} (trainReplicas)` : "a2d", encoder: t.encoder, batch: t.batch ?? tfjs.batch, samplesPerSecond: t.samplesPerSecond, msPerStep: t.msPerStep });
  for (const t of torch.training ?? []) rows.push({ engine: `torch ${torch.device}`, cell: "a2d", encoder: t.encoder, batch: t.batch, samplesPerSecond: t.samplesPerSecond, msPerStep: t.msPerStep });
  const gpu = tfjs.backends?.webgpu;
  const out = {
    when: new Date().toISOString(), seconds: Number(process.env.GPU_PACK_SECONDS),
    vulkanLoader: process.env.GPU_PACK_LOADER, adapter: typeof gpu === "object" ? gpu.adapter : gpu,
    correctnessTest: tfjs.correctnessTest, torchDevice: torch.device, torchDeviceName: torch.deviceName,
    training: rows,
    knnGemm: { tfjs: tfjs.knnGemm, torch: torch.knnGemm },
    pack: (await Bun.file(manifest).text()).split("\n").filter(Boolean),
    tfjs, torch,
  };
  await Bun.write(`${dir}/gpu-pack.json`, JSON.stringify(out, null, 2) + "\n");
  const f = (x) => (x === undefined ? "" : Math.round(x).toLocaleString("en-US"));
  const table = ["| engine | recipe(s) | encoder | batch | samples/s | ms/step |", "|---|---|---|---:|---:|---:|",
    ...rows.map((r) => `| ${r.engine} | ${r.cell} | ${r.encoder} | ${r.batch} | ${f(r.samplesPerSecond)} | ${r.msPerStep?.toFixed(2)} |`)].join("\n");
  await Bun.write(`${dir}/gpu-pack-table.md`, table + "\n");
  console.log(table);
  console.error(`adapter: ${JSON.stringify(out.adapter)}; correctness test: ${JSON.stringify(tfjs.correctnessTest)}; torch: ${torch.device} ${torch.deviceName ?? ""}`);
' "$OUTDIR" "$PACKDIR/MANIFEST.txt"
say "done in $(( $(date +%s) - start )) s: $OUTDIR/gpu-pack.json"
[ -s "$OUTDIR/gpu-pack.json" ]
RUN
chmod +x "$PACK/run.sh"

# --- manifest and size ----------------------------------------------------------------------------
{
  echo "Bun $BUN_VERSION linux-x64 (bun.xz)"
  echo "project files: $(wc -l <"$STAGE/project-files") from the bundler's metafile, plus package.json tsconfig.json bunfig.toml bench/gpu-check.sh bench/reference/training_reference{,_gpu}.py"
  while read -r p; do echo "node_modules: $p $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "node_modules/$p/package.json" | head -1)"; done <"$STAGE/packages"
  for f in "$PACK"/debs/*.deb; do echo "deb: $(basename "$f")"; done
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- $(cat "$STAGE/project-files") 2>/dev/null || echo ' (with uncommitted changes)')"
} >"$PACK/MANIFEST.txt"
(cd "$PACK" && for f in bun.xz project.tar.xz debs/*.deb run.sh; do printf '%10d  %s\n' "$(stat -c %s "$f")" "$f"; done) >>"$PACK/MANIFEST.txt"
total=$(du -sb "$PACK" | cut -f1)
echo "total: $total bytes ($(awk -v b="$total" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))" >>"$PACK/MANIFEST.txt"
cat "$PACK/MANIFEST.txt"
echo "pack-gpu-check: gpu-pack/ in $(( $(date +%s) - start )) s" >&2
if [ "$total" -ge "$LIMIT" ]; then echo "pack-gpu-check: gpu-pack/ is $total bytes, over the 60 MiB limit" >&2; exit 1; fi
