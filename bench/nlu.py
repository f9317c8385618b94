"""NLU benchmark: parse latency, batch throughput, training time and resident memory.

    python bench/nlu.py [--data-dir nlu/data] [--cache-dir DIR] [--messages 3000] [--cv 5] [--json]

Goals (ARCHITECTURE/issue #4): p99 of a single parse <= 1 ms, the loaded model
<= 200 MB resident above a bare Python. Training and memory are measured in
fresh subprocesses, so imports and caches of this process do not blur them.
Prints figures and the machine; never fails for being slow.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_RSS = "int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0])"
_LOADED = """
import sys, json
sys.path.insert(0, {root!r})
from pathlib import Path
from nlu.store import load_or_train
parser = load_or_train(Path({data!r}), Path({cache!r}), isolate=True)
for text in ("привет", "пришла повестка что делать", "kak uehat iz rossii", "hilfe bitte"):
    parser.parse(text)
print(json.dumps({{"rss_kb": {rss}, "sklearn": "sklearn" in sys.modules,
                   "scipy": "scipy" in sys.modules}}))
"""
_TRAIN = """
import sys, json, time
sys.path.insert(0, {root!r})
from pathlib import Path
started = time.perf_counter()
from nlu.store import cache_key, model_path, train_to_file
key = cache_key(Path({data!r}))
stats = train_to_file(Path({data!r}), model_path(Path({cache!r}), key), key)
print(json.dumps({{"wall_seconds": round(time.perf_counter() - started, 2), **stats}}))
"""


def machine() -> dict[str, object]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "platform": platform.platform()}


def run_python(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT / "nlu" / "data")
    ap.add_argument("--cache-dir", type=Path, default=None)
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ap.add_argument("--cv", type=int, default=0, metavar="FOLDS",
                    help="also cross-validate the whole parser on the data (about 10 s a fold)")
    args = ap.parse_args()
    own_cache = args.cache_dir is None
    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    try:
        report(args, cache)
    finally:
        if own_cache:
            shutil.rmtree(cache, ignore_errors=True)


def report(args: argparse.Namespace, cache: Path) -> None:
    fmt = {"root": str(ROOT), "data": str(args.data_dir), "cache": str(cache), "rss": _RSS}

    figures: dict[str, object] = {"machine": machine()}
    figures["training"] = run_python(_TRAIN.format(**fmt))
    bare = run_python(f"import json; print(json.dumps({{'rss_kb': {_RSS}}}))")["rss_kb"]
    loaded = run_python(_LOADED.format(**fmt))
    figures["memory"] = {"bare_python_mb": round(int(bare) / 1024, 1),
                         "loaded_mb": round(int(loaded["rss_kb"]) / 1024, 1),
                         "delta_mb": round((int(loaded["rss_kb"]) - int(bare)) / 1024, 1),
                         "imports_sklearn": loaded["sklearn"], "imports_scipy": loaded["scipy"]}

    from nlu.loader import load_training_data
    from nlu.store import load_or_train

    parser = load_or_train(args.data_dir, cache, isolate=True)
    texts = [ex.text for ex in load_training_data(args.data_dir).examples]
    random.Random(0).shuffle(texts)
    texts = (texts * (args.messages // max(1, len(texts)) + 1))[: args.messages]
    for text in texts[:200]:
        parser.parse(text)
    load_before = os.getloadavg()[0]
    timings, best_of_3 = [], []
    for text in texts:
        runs = []
        for _ in range(3):
            started = time.perf_counter_ns()
            parser.parse(text, "ru")
            runs.append((time.perf_counter_ns() - started) / 1000)
        timings.append(runs[0])
        best_of_3.append(min(runs))
    timings.sort()
    best_of_3.sort()
    wall = "война " * 700  # a 4,096-character wall of text
    started = time.perf_counter_ns()
    parser.parse(wall[:4096])
    wall_us = (time.perf_counter_ns() - started) / 1000
    figures["latency_us"] = {"p50": round(percentile(timings, 0.5), 1),
                             "p90": round(percentile(timings, 0.9), 1),
                             "p99": round(percentile(timings, 0.99), 1),
                             "max": round(timings[-1], 1), "wall_4096_chars": round(wall_us, 1),
                             "best_of_3_p50": round(percentile(best_of_3, 0.5), 1),
                             "best_of_3_p99": round(percentile(best_of_3, 0.99), 1),
                             "messages": len(timings),
                             "load_average": round(max(load_before, os.getloadavg()[0]), 2)}
    started = time.perf_counter()
    for i in range(0, len(texts), 256):
        parser.parse_batch(texts[i : i + 256])
    figures["batch_per_second"] = round(len(texts) / (time.perf_counter() - started))

    if args.cv:
        from nlu.crossval import cross_validate

        figures["cross_validation"] = cross_validate(load_training_data(args.data_dir), args.cv)

    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    m, t = figures["machine"], figures["training"]
    mem, lat = figures["memory"], figures["latency_us"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy {m['numpy']}, "
          f"load average {lat['load_average']} during the latency run")
    print(f"training: {t['examples']} examples, {t['wall_seconds']} s wall in a fresh process "
          f"({t['train_seconds']} s fitting), {t['features']} features")
    print(f"memory: {mem['loaded_mb']} MB resident with the model loaded, "
          f"{mem['bare_python_mb']} MB bare Python -> {mem['delta_mb']} MB for the model "
          f"(goal <= 200); scikit-learn imported: {mem['imports_sklearn']}, "
          f"SciPy: {mem['imports_scipy']}")
    print(f"parse latency over {lat['messages']} messages: p50 {lat['p50']} µs, "
          f"p90 {lat['p90']} µs, p99 {lat['p99']} µs (goal <= 1000), max {lat['max']} µs")
    print(f"  best of 3 runs per message (scheduler noise removed): p50 {lat['best_of_3_p50']} µs, "
          f"p99 {lat['best_of_3_p99']} µs; a 4,096-character wall: {lat['wall_4096_chars']} µs")
    print(f"batch throughput: {figures['batch_per_second']} messages/s "
          "(parse_batch, 256 at a time)")
    if args.cv:
        cv = figures["cross_validation"]
        print(f"cross-validation ({cv['folds']} folds, whole parser): accuracy {cv['accuracy']}, "
              f"macro-F1 {cv['macro_f1']}, per language {cv['per_language']}")
        print(f"  priority intents caught (as either): {cv['priority_recall']}, false alarms "
              f"{cv['priority_false_alarms']}; asks which of two: {cv['clarification_rate']}, "
              f"accuracy when sure: {cv['accuracy_when_confident']}")
        print(f"  language of whole examples: {cv['language_accuracy']}; of 1-6-word excerpts: "
              f"{cv['language_excerpts_1_6_words']} by length {cv['language_excerpts_by_words']}")


if __name__ == "__main__":
    main()
