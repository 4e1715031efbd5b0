"""Times scikit-learn KMeans on a raw float64 matrix written by bench/segment.bench.ts.

usage: /usr/bin/python3 bench/segment-sklearn.py MATRIX.f64 TRUTH.i32 ROWS COLS K REPEATS
Prints one JSON object: wall and CPU seconds of each fit, iterations, ARI against the truth.
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

path, truth_path, rows, cols, k, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
X = np.fromfile(path, dtype="<f8").reshape(rows, cols)
truth = np.fromfile(truth_path, dtype="<i4")
walls, cpus, iters, ari = [], [], [], None
for r in range(repeats):
    t, c = time.perf_counter(), time.process_time()
    km = KMeans(n_clusters=k, n_init=1, random_state=r).fit(X)
    walls.append(time.perf_counter() - t)
    cpus.append(time.process_time() - c)
    iters.append(int(km.n_iter_))
    if ari is None:
        ari = float(adjusted_rand_score(truth, km.labels_))
print(json.dumps({"wall": walls, "cpu": cpus, "iterations": iters, "ari": ari}))
