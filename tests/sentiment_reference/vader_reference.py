"""Compound score of vaderSentiment 3.3.2 for each sentence.

Input: a JSON list of strings (file given as argv[1]). Output on stdout: a JSON object
{"version": ..., "scores": [...], "seconds": scoring time}.
"""
import json
import sys
import time
from importlib.metadata import version

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

with open(sys.argv[1], encoding="utf-8") as f:
    sentences = json.load(f)
analyzer = SentimentIntensityAnalyzer()
started = time.perf_counter()
scores = [analyzer.polarity_scores(s)["compound"] for s in sentences]
seconds = time.perf_counter() - started
json.dump({"version": version("vaderSentiment"), "scores": scores, "seconds": seconds}, sys.stdout)
