"""Benchmark: the emotive language scan's precision, recall and F1 over the labelled set, and its time on a
2,000-word report.

Quality: `app.language_scan.score` over `tests/data/emotive_language.jsonl` (a flag is correct if its span
overlaps an expected phrase of the same category). Speed: a 2,000-word report made of the set's sentences in
order (flagged and clean, as a real report mixes them), scanned `--runs` times after one warm-up scan that
also loads the lexicon; the median is what a "Check language" tap costs. Loading the lexicon is timed apart.

    python bench/language_scan.py [--runs 50] [--words 2000]

Last line: `language_scan_f1 <F1>`; target: precision and recall 0.9 or more, scan 20 ms or less.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import language_scan  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "emotive_language.jsonl"


def report_of(texts: list[str], words: int) -> str:
    """Sentences in order (repeating if needed) up to `words` words, in paragraphs of five sentences."""
    out: list[str] = []
    count = 0
    while count < words:
        for text in texts:
            out.append(text)
            count += len(text.split())
            if count >= words:
                break
    paragraphs = [" ".join(out[i : i + 5]) for i in range(0, len(out), 5)]
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--words", type=int, default=2000)
    args = parser.parse_args()

    samples = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]

    started = time.perf_counter()
    lex = language_scan.lexicon()
    load_ms = (time.perf_counter() - started) * 1000
    print(f"lexicon {lex.version} (reviewed {lex.reviewed}): {len(lex.entries)} entries, {lex.forms:,} word forms")
    print(f"load once: {load_ms:.1f} ms")

    result = language_scan.score((s["text"], s["expected"]) for s in samples)
    expected_clean = sum(1 for s in samples if not s["expected"])
    print(f"labelled set: {len(samples)} sentences ({expected_clean} clean), {result.expected} expected phrases")
    print(f"flags {result.flagged}, correct {result.correct}, expected phrases found {result.found}")
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}  F1 {result.f1:.3f}")

    report = report_of([s["text"] for s in samples], args.words)
    flags = language_scan.scan(report)  # warm-up
    wall, cpu = [], []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        language_scan.scan(report)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    size = f"{len(report.split()):,}-word report ({len(report):,} characters, {len(flags)} flags)"
    print(f"scan of a {size}, {args.runs} runs:")
    print(f"  wall: median {statistics.median(wall):.2f} ms, min {min(wall):.2f} ms, max {max(wall):.2f} ms")
    # CPU time is what the scan itself costs; on a busy machine wall time also counts waiting for a core
    print(f"  cpu:  median {statistics.median(cpu):.2f} ms")
    loadavg = Path("/proc/loadavg")
    print(f"load average: {' '.join(loadavg.read_text().split()[:3]) if loadavg.exists() else 'unknown'}")
    print(f"language_scan_f1 {result.f1:.3f}")


if __name__ == "__main__":
    main()
