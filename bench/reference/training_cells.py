#!/usr/bin/python3
"""PyTorch CPU reference for `bun bench/training.ts --cells`: the fixed set of cells, trained one after
another, with torch.set_num_threads(all cores).

Cells: HMDB51-near's shape (train 2,074, val 445, test 459, OOD 3,744 rows; video 2304 + flow 2048;
C 25), 3 seeds x baseline / A2D / A2D + NP-Mix, 2 epochs, batch 16, the default encoder (the
adapter). The same model and losses as methods/training (model.ts, losses.ts, loss-terms.ts):
  - per modality Z^k = ReLU(x + ReLU(x A) B), A: Linear(d, 16, bias=False) as torch draws it,
    B = 0 at the start; dropout 0.5 on Z^k; a unimodal head Linear(d_k, C) on Z^k and a fused head
    Linear(D, C) on [Z^1, Z^2];
  - baseline: CE(fused); A2D: (CE(fused) + CE(h_1) + CE(h_2)) / 3 + 1.0 * L_discr (minus the
    Hellinger distance between the unimodal softmaxes with the true class dropped);
  - A2D + NP-Mix: A2D weight 0.5, the batch's dropped embeddings pushed into per-class FIFO queues
    of 65, from epoch 1 (0-based) once every queue is full: one outlier per class, mixing a queued
    row of the class with one of a class among its 2 nearest prototypes (lambda ~ Beta(10, 10)),
    through the unimodal heads: + 0.5 * (-Hellinger between their softmaxes) + 0.5 * (-normalised
    entropy);
  - Adam(lr 1e-4, weight_decay 1e-4), shuffled batches, last partial batch dropped; after each
    epoch the val accuracy (eval mode), the best epoch's parameters kept; then the fused logits,
    per-modality logits and Z of every split in eval mode (chunks of 512), as the harness computes.
The queues and the synthesis run on torch tensors (vectorised prototypes and distances), which is
faster than upstream's Python loops. The data are generated here (same shape and kind as
bench/training-data.ts cellsData, not the same numbers): only the time is compared.

Prints one JSON object: torch version, threads, seconds per cell and in all, peak RSS (MiB).
Usage: /usr/bin/python3 bench/reference/training_cells.py [--threads=N]  (default: all cores)
"""
import argparse
import copy
import json
import os
import resource
import sys
import time

# Debian's torch runs its matrix products on OpenBLAS, whose own thread pool ignores
# torch.set_num_threads: give it the same count (it must be set before the library loads).
_threads = next((int(a.split('=', 1)[1]) for a in sys.argv if a.startswith('--threads=')), os.cpu_count() or 1)
os.environ.setdefault('OPENBLAS_NUM_THREADS', str(_threads))

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_reference import B, C, DIMS, Adapter, drop_label, hellinger  # noqa: E402

SIZES = {'train': 2074, 'val': 445, 'test': 459, 'ood': 3744}
EPOCHS = 2
START_EPOCH = 1
QUEUE = 65
NN_K = 3
ALPHA = 10.0
EVAL_BATCH = 512


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleList([Adapter(d) for d in DIMS])
        self.heads = nn.ModuleList([nn.Linear(d, C) for d in DIMS])
        self.fused = nn.Linear(sum(DIMS), C)
        self.dropout = nn.Dropout(0.5)

    def forward(self, xs):
        z = [self.dropout(e(x)) for e, x in zip(self.enc, xs)]
        return self.fused(torch.cat(z, dim=1)), [h(zk) for h, zk in zip(self.heads, z)], z


def norm_entropy(logits):
    p = F.softmax(logits, dim=1)
    return (-(p * torch.log(p + 1e-9)).sum(1) / torch.log(torch.tensor(float(C)))).mean()


class Queues:
    def __init__(self, dim):
        self.data = torch.zeros(C, QUEUE, dim)
        self.count = [0] * C

    def push(self, z, labels):
        for row, c in zip(z, labels.tolist()):
            if self.count[c] < QUEUE:
                self.data[c, self.count[c]] = row
                self.count[c] += 1
            else:
                self.data[c] = torch.cat((self.data[c, 1:], row[None]), 0)

    def full(self):
        return all(n == QUEUE for n in self.count)

    def npmix(self):
        protos = self.data.mean(1)
        d = torch.cdist(protos, protos)
        d.fill_diagonal_(float('inf'))
        near = torch.topk(d, NN_K - 1, largest=False).indices
        rows = torch.arange(C)
        zc = self.data[rows, torch.randint(0, QUEUE, (C,))]
        s = near[rows, torch.randint(0, NN_K - 1, (C,))]
        zs = self.data[s, torch.randint(0, QUEUE, (C,))]
        lam = torch.distributions.Beta(ALPHA, ALPHA).sample((C, 1))
        return lam * zc + (1 - lam) * zs


def make_data(gen):
    means = [torch.rand(C, d, generator=gen).abs() for d in DIMS]

    def split(n, offset):
        labels = (torch.arange(n) * 7 + offset) % C
        return [torch.clamp(m[labels] + 0.8 * torch.randn(n, m.shape[1], generator=gen), min=0) for m in means], labels

    return {name: split(n, i) for i, (name, n) in enumerate(SIZES.items())}


def outputs(model, xs):
    fused, uni, z = [], [], []
    with torch.no_grad():
        for s in range(0, len(xs[0]), EVAL_BATCH):
            f, u, zz = model([x[s:s + EVAL_BATCH] for x in xs])
            fused.append(f)
            uni.append(u)
            z.append(torch.cat(zz, 1))
    return torch.cat(fused), torch.cat(z)


def train_cell(data, recipe, seed):
    torch.manual_seed(seed)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    a2d_weight = {'baseline': 0.0, 'a2d': 1.0, 'a2d_npmix': 0.5}[recipe]
    queues = Queues(sum(DIMS)) if recipe == 'a2d_npmix' else None
    xs, ys = data['train']
    n = len(ys)
    best = None
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(n)
        for s in range(n // B):
            idx = order[s * B:(s + 1) * B]
            x = [m[idx] for m in xs]
            y = ys[idx]
            fused, uni, z = model(x)
            if recipe == 'baseline':
                loss = F.cross_entropy(fused, y)
            else:
                loss = (F.cross_entropy(fused, y) + sum(F.cross_entropy(u, y) for u in uni)) / (len(uni) + 1)
                loss = loss - a2d_weight * hellinger(F.softmax(drop_label(uni[0], y), 1), F.softmax(drop_label(uni[1], y), 1))
            if queues is not None:
                queues.push(torch.cat(z, 1).detach(), y)
                if epoch >= START_EPOCH and queues.full():
                    out = queues.npmix()
                    parts = torch.split(out, DIMS, 1)
                    logits = [h(p) for h, p in zip(model.heads, parts)]
                    ood = -hellinger(F.softmax(logits[0], 1), F.softmax(logits[1], 1))
                    ent = -(norm_entropy(logits[0]) + norm_entropy(logits[1])) / 2
                    loss = loss + 0.5 * ood + 0.5 * ent
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        vx, vy = data['val']
        with torch.no_grad():
            acc = sum((model([m[s:s + EVAL_BATCH] for m in vx])[0].argmax(1) == vy[s:s + EVAL_BATCH]).sum().item() for s in range(0, len(vy), EVAL_BATCH)) / len(vy)
        if best is None or acc >= best[0]:
            best = (acc, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    model.eval()
    for name in ['train', 'val', 'test', 'ood']:
        outputs(model, data[name][0])
    return best[0]


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = make_data(torch.Generator().manual_seed(12))
    cells = []
    started = time.perf_counter()
    for seed in [0, 1, 2]:
        for recipe in ['baseline', 'a2d', 'a2d_npmix']:
            t = time.perf_counter()
            acc = train_cell(data, recipe, seed)
            cells.append({'recipe': recipe, 'seed': seed, 'seconds': time.perf_counter() - t, 'bestValAcc': acc})
    total = time.perf_counter() - started
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'cpus': os.cpu_count(),
        'seconds': total, 'cells': cells,
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))
