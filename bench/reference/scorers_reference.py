"""Python side of bench/scorers.ts: the nine scorers in numpy / scikit-learn / faiss / torch on the
same upstream-layout dumps, timed the same way (fit + score of ID test and OOD, data loading
excluded). Prints one JSON line like bench/scorers-child.ts, with the same optional REPEAT (medians
in "seconds", the first run in "firstSeconds" and "total").

The scorer functions are the independent reference of harness/fixtures/upstream-dumps/make_dumps.py,
except Mahalanobis: the fixture's literal per-class quadratic forms cost N*D^2*C (hours at this
scale), so here it is the same formula expanded, d_c = zPz - 2 zP mu_c + mu_c P mu_c, one
N*D^2 product. ViM uses np.linalg.eigh on the symmetric covariance (faster than the upstream
np.linalg.eig, so the comparison favours Python).
Usage: /usr/bin/python3 bench/reference/scorers_reference.py DIR msp,energy,... [REPEAT]
"""
import json
import os
import resource
import sys
import time

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.covariance import EmpiricalCovariance

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'harness', 'fixtures', 'upstream-dumps'))
import make_dumps as ref  # noqa: E402


def fit_mahalanobis_expanded(fit_feat, fit_label, num_classes):
    means = np.stack([fit_feat[fit_label == c].mean(0) for c in range(num_classes)])
    precision = EmpiricalCovariance(assume_centered=False).fit(fit_feat - means[fit_label]).precision_
    p_means = means @ precision
    mu_p_mu = np.einsum('cd,cd->c', p_means, means)

    def score(z):
        zpz = np.einsum('nd,nd->n', z @ precision, z)
        d = zpz[:, None] - 2 * z @ p_means.T + mu_p_mu[None, :]
        return -d.min(axis=1)
    return score


def main():
    folder, ids = sys.argv[1], sys.argv[2].split(',')
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    meta = json.load(open(os.path.join(folder, 'meta.json')))
    load = lambda kind, split: np.load(os.path.join(folder, f'id_Kinetics_near_ood_{kind}_{split}.npy'))
    W = np.load(os.path.join(folder, 'W.npy')).astype(np.float64)
    b = np.load(os.path.join(folder, 'b.npy')).astype(np.float64)
    feat = {s: load('feature', s).astype(np.float64) for s in ('train', 'val', 'test', 'eval')}
    logits = {s: load('output', s).astype(np.float64) for s in ('train', 'val', 'test', 'eval')}
    labels = {s: load('label', s) for s in ('train', 'test')}
    bounds = np.cumsum([0] + meta['dims'])
    slices = list(zip(bounds[:-1], bounds[1:]))
    C = W.shape[0]
    acc = float((logits['test'].argmax(1) == labels['test']).mean())

    def run(name):
        if name == 'msp':
            return lambda z, l: (softmax(l, axis=1).max(1), None)
        if name == 'energy':
            return lambda z, l: (logsumexp(l, axis=1), None)
        if name == 'maxlogit':
            return lambda z, l: (l.max(1), None)
        if name == 'gen':
            return lambda z, l: (ref.gen_conf(l), None)
        if name == 'mahalanobis':
            s = fit_mahalanobis_expanded(feat['train'], labels['train'], C)
            return lambda z, l: (s(z), None)
        if name == 'vim':
            s = ref.fit_vim(feat['train'], logits['train'], W, b, 256)
            return lambda z, l: (s(z, l), None)
        if name == 'knn':
            s = ref.fit_knn(feat['train'])
            return lambda z, l: (s(z), None)
        if name == 'react':
            thr = ref.react_thresholds(feat['val'], slices)
            return lambda z, l: (lambda lg: (logsumexp(lg, axis=1), lg.argmax(1)))(ref.react_logits(z, slices, thr, W, b))
        if name == 'ash':
            return lambda z, l: (lambda lg: (logsumexp(lg, axis=1), lg.argmax(1)))(ref.ash_logits(z, slices, W, b))
        raise SystemExit(f'unknown scorer {name}')

    times, total = {}, 0.0
    for r in range(repeat):
        results = []
        began = time.perf_counter()
        for name in ids:
            t = time.perf_counter()
            fn = run(name)
            id_conf, id_pred = fn(feat['test'], logits['test'])
            ood_conf, _ = fn(feat['eval'], logits['eval'])
            m = ref.ood_metrics(id_conf, ood_conf)
            times.setdefault(name, []).append(time.perf_counter() - t)
            results.append(dict(scorer=name, ood='near', **m, id_acc=acc if id_pred is None else float((id_pred == labels['test']).mean())))
        if r == 0:
            total = time.perf_counter() - began
    seconds = {name: sorted(v)[len(v) // 2] for name, v in times.items()}
    first_seconds = {name: v[0] for name, v in times.items()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(seconds=seconds, firstSeconds=first_seconds, total=total, peakRssMiB=peak, results=results)))


if __name__ == '__main__':
    main()
