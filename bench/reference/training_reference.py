#!/usr/bin/python3
"""PyTorch CPU reference for bench/training.ts: the same model, loss and optimiser, samples/s.

Model (methods/training/model.ts): per modality an encoder (the rank-16 adapter, or Linear(d_k, 128) + ReLU),
dropout 0.5 on the embedding Z^k, a unimodal head Linear(D_k, C), and a fused head Linear(D, C)
on [Z^1, Z^2]. Loss (the A2D recipe): (CE(fused) + CE(h_1) + CE(h_2)) / 3 + 1.0 * L_discr with
L_discr = -mean Hellinger(softmax(h_1 without the label's logit), softmax(h_2 without it)); the
label's logit is dropped with a boolean mask (vectorised; upstream loops over the batch in Python,
which would only make this reference slower). Adam(lr=1e-4, weight_decay=1e-4), batch 16, inputs
2304 + 2048, C = 25. Batches are drawn from in-memory tensors (no DataLoader).

Prints one JSON object: torch's version and default thread count, and samples/s per
(threads, encoder) for threads = 1, torch's default and the machine's CPU count.
Usage: /usr/bin/python3 bench/reference/training_reference.py [--steps 150] [--repeat 3]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIMS = [2304, 2048]
C = 25
B = 16
HIDDEN = 128
RANK = 16
WARMUP = 10


class Adapter(nn.Module):
    """The harness's adapter encoder: ReLU(x + ReLU(x A) B), B zero at the start."""

    def __init__(self, d):
        super().__init__()
        self.a = nn.Linear(d, RANK, bias=False)
        self.b = nn.Linear(RANK, d, bias=False)
        nn.init.zeros_(self.b.weight)

    def forward(self, x):
        return F.relu(x + self.b(F.relu(self.a(x))))


class Model(nn.Module):
    """encoder 'adapter' (the harness's default on feature folders) or 'mlp' (Linear(d_k, 128) + ReLU);
    identity encoders are left out: the harness refuses A2D with them (nothing it trains is shared)."""

    def __init__(self, encoder):
        super().__init__()
        if encoder == 'mlp':
            self.enc = nn.ModuleList([nn.Sequential(nn.Linear(d, HIDDEN), nn.ReLU()) for d in DIMS])
            widths = [HIDDEN] * len(DIMS)
        elif encoder == 'adapter':
            self.enc = nn.ModuleList([Adapter(d) for d in DIMS])
            widths = DIMS
        else:
            raise ValueError(f'encoder {encoder}: expected adapter or mlp')
        self.heads = nn.ModuleList([nn.Linear(w, C) for w in widths])
        self.fused = nn.Linear(sum(widths), C)
        self.dropout = nn.Dropout(0.5)

    def forward(self, xs):
        z = [self.dropout(e(x)) for x, e in zip(xs, self.enc)]
        return self.fused(torch.cat(z, dim=1)), [h(zk) for h, zk in zip(self.heads, z)]


def hellinger(p, q):
    p = torch.clamp(p, min=1e-6)
    q = torch.clamp(q, min=1e-6)
    return (torch.sqrt(torch.sum((torch.sqrt(p) - torch.sqrt(q)) ** 2, dim=-1)) / 2 ** 0.5).mean()


def drop_label(logits, labels):
    keep = torch.ones_like(logits, dtype=torch.bool)
    keep[torch.arange(len(labels)), labels] = False
    return logits[keep].view(len(labels), -1)


def a2d_step(model, opt, xs, y):
    """One A2D training step: mean of the fused and per-modality cross-entropies minus the
    Hellinger distance of the two modalities' non-ground-truth softmaxes (weight 1), one Adam update."""
    fused, uni = model(xs)[:2]
    cls = (F.cross_entropy(fused, y) + sum(F.cross_entropy(u, y) for u in uni)) / (len(uni) + 1)
    a2d = -hellinger(F.softmax(drop_label(uni[0], y), dim=1), F.softmax(drop_label(uni[1], y), dim=1))
    loss = cls + 1.0 * a2d
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def measure(threads, encoder, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = 1024
    data = [torch.randn(rows, d) for d in DIMS]
    labels = torch.randint(0, C, (rows,))
    model = Model(encoder)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    times = []
    for _ in range(steps):
        idx = torch.randint(0, rows, (B,))
        xs = [d[idx] for d in data]
        a2d_step(model, opt, xs, labels[idx])
        times.append(time.perf_counter())
    timed = len(times) - 1 - WARMUP
    seconds = times[-1] - times[WARMUP]
    return {"threads": threads, "encoder": encoder, "samplesPerSecond": timed * B / seconds, "msPerStep": 1000 * seconds / timed, "timedSteps": timed}


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--repeat', type=int, default=3, help='runs per configuration; the best is reported')
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    results = []
    for threads in sorted({1, default_threads, os.cpu_count() or 1}):
        for encoder in ['adapter', 'mlp']:
            runs = [measure(threads, encoder, args.steps) for _ in range(max(1, args.repeat))]
            best = max(runs, key=lambda r: r["samplesPerSecond"])
            best["runs"] = [r["samplesPerSecond"] for r in runs]
            results.append(best)
    print(json.dumps({"torch": torch.__version__, "defaultThreads": default_threads, "cpus": os.cpu_count(), "results": results}))
