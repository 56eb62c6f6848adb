#!/usr/bin/python3
"""PyTorch GPU reference for bench/gpu-check.ts: the same training cells on torch.cuda, samples/s.

The cells are those of bench/gpu-check.ts: video + flow at 2304 + 2048 inputs, C = 25, the A2D loss
of bench/reference/training_reference.py (imported from there), Adam(lr=1e-4, weight_decay=1e-4),
the adapter encoder (rank 16: Z^k = ReLU(x + ReLU(x A) B), B zero at the start, as
bench/reference/training_cells.py) and the MLP encoder (hidden 128), dropout 0.5 on Z^k, batch 16,
10 warm-up steps; plus the same cells at larger batches (--batches), where a GPU is no longer bound by kernel
launches, and KNN's float32 product C = A·Bᵀ at D = 4352 (bench/gpu-check.ts's knnGemm; TF32 off,
so it is the same float32 arithmetic as the webgpu product).

Runs on CUDA when torch sees a GPU, else on the CPU (then it says so: "device": "cpu").
Prints one JSON object. Usage: python3 bench/reference/training_reference_gpu.py
  [--steps 60] [--batches 16,256] [--gemm auto|ROWSxFIT|none] [--out FILE]
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_reference import C, DIMS, WARMUP, Model, a2d_step  # noqa: E402


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def measure(device, encoder, batch, steps):
    torch.manual_seed(0)
    rows = max(1024, 4 * batch)
    data = [torch.randn(rows, d, device=device) for d in DIMS]
    labels = torch.randint(0, C, (rows,), device=device)
    model = Model(encoder).to(device)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    times = []
    loss = None
    for _ in range(steps):
        idx = torch.randint(0, rows, (batch,), device=device)
        xs = [d[idx] for d in data]
        loss = a2d_step(model, opt, xs, labels[idx])
        sync(device)  # a step is done when its kernels are, as a read-back ends a tfjs step
        times.append(time.perf_counter())
    timed = len(times) - 1 - WARMUP
    seconds = times[-1] - times[WARMUP]
    return {"encoder": encoder, "batch": batch, "samplesPerSecond": timed * batch / seconds,
            "msPerStep": 1000 * seconds / timed, "timedSteps": timed, "finalLoss": float(loss)}


def gemm(device, rows, fit, dim=4352):
    torch.backends.cuda.matmul.allow_tf32 = False
    g = torch.Generator().manual_seed(3)
    a = torch.relu(torch.randn(rows, dim, generator=g))
    b = torch.relu(torch.randn(fit, dim, generator=g))
    gflop = 2 * rows * fit * dim / 1e9

    def run():
        t0 = time.perf_counter()
        out = (a.to(device) @ b.to(device).T).cpu()  # upload, product and read-back, as the webgpu number
        return time.perf_counter() - t0, out

    run()
    seconds, out = run()
    sync(device)
    t0 = time.perf_counter()
    a_d, b_d = a.to(device), b.to(device)
    sync(device)
    t1 = time.perf_counter()
    for _ in range(5):
        c = a_d @ b_d.T
    sync(device)
    kernel_s = (time.perf_counter() - t1) / 5
    ref = a[:64].double() @ b.double().T
    rel = ((out[:64].double() - ref).abs() / ref.abs().clamp(min=1)).max().item()
    del c
    return {"rows": rows, "fit": fit, "dim": dim, "gflop": gflop, "ms": 1000 * seconds,
            "gflops": gflop / seconds, "uploadMs": 1000 * (t1 - t0), "kernelMs": 1000 * kernel_s,
            "kernelGflops": gflop / kernel_s, "maxRelativeDifferenceVsFloat64": rel}


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=60)
    parser.add_argument('--batches', default='16,256')
    parser.add_argument('--gemm', default='auto', help='rows x fit of the KNN product: auto (4096x8192 on a GPU, 1024x2048 on the CPU), or none')
    parser.add_argument('--out')
    args = parser.parse_args()
    started = time.perf_counter()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    result = {"torch": torch.__version__, "device": device.type,
              "deviceName": torch.cuda.get_device_name(0) if device.type == 'cuda' else None,
              "threads": torch.get_num_threads(), "steps": args.steps, "dims": DIMS, "classes": C,
              "training": []}
    for batch in [int(b) for b in args.batches.split(',') if b]:
        for encoder in ['adapter', 'mlp']:
            m = measure(device, encoder, batch, args.steps)
            result["training"].append(m)
            print(f"torch {device.type} {encoder} batch {batch}: {m['samplesPerSecond']:.0f} samples/s", file=sys.stderr)
    if args.gemm != 'none':
        spec = args.gemm if args.gemm != 'auto' else ('4096x8192' if device.type == 'cuda' else '1024x2048')
        rows, fit = (int(x) for x in spec.split('x'))
        try:
            result["knnGemm"] = gemm(device, rows, fit)
        except Exception as e:  # e.g. out of memory on a small CPU machine: the training numbers stand
            result["knnGemm"] = {"error": str(e).split('\n')[0]}
    result["seconds"] = time.perf_counter() - started
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    print(text)
