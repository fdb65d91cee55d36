"""The scikit-learn peer for `npm run bench`: LogisticRegression(class_weight='balanced') on the product's own
cached features (sentence embedding + TF-IDF), written by bench/peers.ts. Prints one JSON object: per-class F1,
macro-F1 and fit seconds, on the given test rows.

Usage: python3 sklearn_linear.py FEATURE_DIR [C]
"""
import json
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score


def load(folder):
    meta = json.load(open(f"{folder}/meta.json"))
    n, dim = meta["n"], meta["dim"]
    dense = np.fromfile(f"{folder}/dense.f32", dtype=np.float32).reshape(n, dim).astype(np.float64)
    blocks = [sp.csr_matrix(dense)]
    if meta["lexical"]:
        rowptr = np.fromfile(f"{folder}/rowptr.i32", dtype=np.int32)
        cols = np.fromfile(f"{folder}/cols.i32", dtype=np.int32)
        vals = np.fromfile(f"{folder}/vals.f32", dtype=np.float32).astype(np.float64)
        blocks.append(sp.csr_matrix((vals, cols, rowptr), shape=(n, meta["lexical"])))
    return meta, sp.hstack(blocks).tocsr()


def main():
    folder = sys.argv[1]
    c = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    meta, x = load(folder)
    y = np.array(meta["y"])
    train, test = np.array(meta["train"]), np.array(meta["test"])
    started = time.time()
    model = LogisticRegression(class_weight="balanced", C=c, max_iter=1000)
    model.fit(x[train], y[train])
    seconds = time.time() - started
    predicted = model.predict(x[test])
    labels = list(range(len(meta["labels"])))
    per_class = f1_score(y[test], predicted, labels=labels, average=None, zero_division=0)
    print(json.dumps({
        "model": f"sklearn LogisticRegression(class_weight='balanced', C={c}, max_iter=1000)",
        "f1_macro": float(np.mean(per_class)),
        "per_class": {meta["labels"][k]: float(f) for k, f in enumerate(per_class)},
        "fit_seconds": seconds,
    }))


if __name__ == "__main__":
    main()
