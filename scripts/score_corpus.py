#!/usr/bin/env python3
"""Independent scorer: runs `recovery-agent diagnose --format json` over a corpus and scores it.

Scoring follows the corpus README (../shared/corpus/README.md):
  - category accuracy on failed cases;
  - hit@1: the first evidence line falls inside a labeled evidence range (cases with ranges);
  - unknown rate on failed cases;
  - false alarms: passed cases with a confident (>= 0.5) non-unknown diagnosis;
  - retry precision/recall against `rerun_likely_passes`.

Usage: scripts/score_corpus.py CORPUS_DIR [--bin target/release/recovery-agent] [--show-misses] [--json OUT]
"""
import argparse, collections, concurrent.futures, json, os, subprocess, sys

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--bin", default="target/release/recovery-agent")
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--json", help="write per-case results here")
    a, unknown = ap.parse_known_args()
    a.extra = [x for x in unknown if x != "--"]
    cases = [json.loads(l) for l in open(os.path.join(a.corpus, "cases.jsonl")) if l.strip()]
    paths = [os.path.join(a.corpus, c["log"]) for c in cases]
    # One invocation per case: each case is its own run (the outage guard counts the failed jobs of
    # one invocation as one run's).
    def run(path):
        out = subprocess.run([a.bin, "diagnose", "--format", "json", "--exit-zero", *a.extra, path],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"diagnose {path} failed ({out.returncode}): {out.stderr}")
        return json.loads(out.stdout)["jobs"][0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        by_source = dict(zip(paths, pool.map(run, paths)))
    stats = collections.Counter()
    confusion = collections.Counter()
    misses, rows = [], []
    for c, p in zip(cases, paths):
        job = by_source.get(p)
        if job is None:
            stats["missing"] += 1
            continue
        d = job["diagnosis"]
        first = d["evidence"][0]["line"] if d["evidence"] else None
        first3 = [e["line"] for e in d["evidence"][:3]]
        opts = job["plan"]["options"]
        auto_retry = bool(opts) and opts[0]["allowed"] and opts[0]["action"] in ("retry", "retry_with_debug", "reset_cache_and_retry")
        row = {"id": c["id"], "label": c.get("category"), "got": d["category"], "confidence": d["confidence"],
               "rule": d["rule_id"], "first_line": first, "outcome": job["outcome"], "auto_retry": auto_retry}
        rows.append(row)
        if c["outcome"] == "passed":
            stats["passed"] += 1
            stats["passed_outcome_ok"] += job["outcome"] == "passed"
            if d["category"] != "unknown" and d["confidence"] >= 0.5:
                stats["false_alarm"] += 1
                misses.append(("FALSE-ALARM", c["id"], d["category"], d["rule_id"], d["confidence"]))
            continue
        stats["failed"] += 1
        stats["failed_outcome_ok"] += job["outcome"] == "failed"
        confusion[(c["category"], d["category"])] += 1
        ok = d["category"] == c["category"]
        stats["correct"] += ok
        stats["unknown"] += d["category"] == "unknown"
        if not ok:
            misses.append(("MISS", c["id"], f'{c["category"]} -> {d["category"]}', d["rule_id"], d["confidence"], first))
        if c.get("evidence"):
            stats["with_evidence"] += 1
            inside = first is not None and any(lo <= first <= hi for lo, hi in c["evidence"])
            stats["hit1"] += inside
            stats["hit3"] += any(lo <= l <= hi for l in first3 for lo, hi in c["evidence"])
            if not inside and ok:
                misses.append(("EVIDENCE", c["id"], d["category"], d["rule_id"], first, c["evidence"][:3]))
        if auto_retry:
            stats["auto_retry"] += 1
            stats["auto_retry_yes"] += c.get("rerun_likely_passes") == "yes"
            if c["category"] == "auth":
                misses.append(("AUTH-RETRY", c["id"]))
        if c.get("rerun_likely_passes") == "yes":
            stats["yes"] += 1
            stats["yes_retried"] += auto_retry
    pct = lambda n, d: f"{100 * n / d:.1f}%" if d else "n/a"
    print(f"failed cases: {stats['failed']}, passed cases: {stats['passed']}, missing: {stats['missing']}")
    print(f"category accuracy (failed):   {pct(stats['correct'], stats['failed'])}  ({stats['correct']}/{stats['failed']})")
    print(f"hit@1 (cases with ranges):    {pct(stats['hit1'], stats['with_evidence'])}  ({stats['hit1']}/{stats['with_evidence']})")
    print(f"hit@3 (cases with ranges):    {pct(stats['hit3'], stats['with_evidence'])}  ({stats['hit3']}/{stats['with_evidence']})")
    print(f"unknown rate (failed):        {pct(stats['unknown'], stats['failed'])}  ({stats['unknown']}/{stats['failed']})")
    print(f"false alarms (passed, >=0.5): {pct(stats['false_alarm'], stats['passed'])}  ({stats['false_alarm']}/{stats['passed']})")
    print(f"outcome inferred right:       failed {pct(stats['failed_outcome_ok'], stats['failed'])}, passed {pct(stats['passed_outcome_ok'], stats['passed'])}")
    print(f"retry precision:              {pct(stats['auto_retry_yes'], stats['auto_retry'])}  ({stats['auto_retry_yes']}/{stats['auto_retry']})")
    print(f"retry recall:                 {pct(stats['yes_retried'], stats['yes'])}  ({stats['yes_retried']}/{stats['yes']})")
    per = collections.defaultdict(lambda: [0, 0])
    for (label, got), n in confusion.items():
        per[label][1] += n
        if label == got:
            per[label][0] += n
    print("per category (recall):", ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(per.items())))
    predicted = collections.Counter()
    for (label, got), n in confusion.items():
        predicted[got] += n
    f1s = []
    print("category               support precision    recall      F1")
    for cat in sorted(set(per) | set(predicted)):
        tp = confusion[(cat, cat)]
        support, pred = per[cat][1] if cat in per else 0, predicted[cat]
        p = tp / pred if pred else 0.0
        r = tp / support if support else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if support:
            f1s.append(f1)
        print(f"{cat:22s} {support:8d} {p:9.3f} {r:9.3f} {f1:7.3f}")
    print(f"macro-F1 (labelled categories): {sum(f1s) / len(f1s) if f1s else 0:.3f}")
    if a.show_misses:
        for m in misses:
            print(*m, sep="  ")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)

main()
