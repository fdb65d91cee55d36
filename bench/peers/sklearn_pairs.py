"""The TF-IDF pair peer: scikit-learn LogisticRegression(class_weight='balanced') on TF-IDF similarity features of
the two texts (|a - b|, a * b element-wise, and their cosine). Reads {"train": [[a, b, label], ...], "test":
[[a, b], ...]} as JSON on stdin; writes {"predicted": [label, ...], "fit_seconds": s} on stdout."""
import json
import sys
import time

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


def features(vectorizer, pairs):
    a = vectorizer.transform([p[0] for p in pairs])
    b = vectorizer.transform([p[1] for p in pairs])
    cosine = np.asarray(a.multiply(b).sum(axis=1)).reshape(-1, 1)
    return hstack([abs(a - b), a.multiply(b), csr_matrix(cosine)]).tocsr()


def main():
    data = json.load(sys.stdin)
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2)
    vectorizer.fit([t for p in data["train"] for t in p[:2]])
    started = time.time()
    model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=1000)
    model.fit(features(vectorizer, data["train"]), [p[2] for p in data["train"]])
    fit_seconds = time.time() - started
    predicted = list(model.predict(features(vectorizer, data["test"])))
    json.dump({"predicted": predicted, "fit_seconds": fit_seconds}, sys.stdout)


if __name__ == "__main__":
    main()
