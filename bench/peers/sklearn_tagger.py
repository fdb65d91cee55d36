"""The classic feature-based tagger as a peer: scikit-learn LogisticRegression over DictVectorizer features of each
token (the word, its affixes and shape, its neighbours; the sklearn-crfsuite tutorial recipe), tags predicted token
by token. Reads {"train": [[tokens, tags], ...], "test": [[tokens], ...], "C": c} as JSON on stdin; writes
{"predicted": [[tags], ...], "fit_seconds": s} on stdout."""
import json
import sys
import time

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression


def word_features(tokens, i):
    w = tokens[i]
    f = {
        "bias": 1.0,
        "w.lower=" + w.lower(): 1.0,
        "w[-3:]=" + w[-3:].lower(): 1.0,
        "w[-2:]=" + w[-2:].lower(): 1.0,
        "w[:3]=" + w[:3].lower(): 1.0,
        "w.isupper": float(w.isupper()),
        "w.istitle": float(w.istitle()),
        "w.isdigit": float(w.isdigit()),
    }
    for offset in (-2, -1, 1, 2):
        j = i + offset
        key = "%+d" % offset
        if 0 <= j < len(tokens):
            n = tokens[j]
            f[key + ":w.lower=" + n.lower()] = 1.0
            f[key + ":w.istitle"] = float(n.istitle())
            f[key + ":w.isupper"] = float(n.isupper())
        else:
            f[key + ":edge"] = 1.0
    return f


def main():
    data = json.load(sys.stdin)
    X = [word_features(tokens, i) for tokens, _ in data["train"] for i in range(len(tokens))]
    y = [tag for _, tags in data["train"] for tag in tags]
    vectorizer = DictVectorizer()
    started = time.time()
    model = LogisticRegression(C=data.get("C", 1.0), max_iter=1000)
    model.fit(vectorizer.fit_transform(X), y)
    fit_seconds = time.time() - started
    predicted = []
    for tokens in data["test"]:
        if not tokens:
            predicted.append([])
            continue
        rows = vectorizer.transform([word_features(tokens, i) for i in range(len(tokens))])
        predicted.append(list(model.predict(rows)))
    json.dump({"predicted": predicted, "fit_seconds": fit_seconds}, sys.stdout)


if __name__ == "__main__":
    main()
