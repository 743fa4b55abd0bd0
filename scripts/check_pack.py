#!/usr/bin/env python3
"""Quick structural check of a rule pack (a stand-in until `recovery-agent rules test` is built).

Usage: python3 scripts/check_pack.py rules/npm.toml [...]
Python's `re` approximates Rust's `regex`: avoid look-around, back-references and `\\p{..}`.
"""
import re, sys, tomllib

CATS = {"network", "rate_limit", "auth", "dependency_resolution", "compilation", "test_failure", "lint",
        "configuration", "resource_exhaustion", "timeout", "infrastructure", "cache"}
ACTIONS = {"retry", "retry_with_debug", "reset_cache_and_retry", "manual_fix", "escalate"}
KEYS = {"id", "category", "title", "pattern", "exclude", "then", "confidence", "remediation", "actions",
        "fingerprint", "sources", "examples", "counterexamples"}

def matches(rule, text):
    pat = re.compile(rule["pattern"]); exc = re.compile(rule["exclude"]) if rule.get("exclude") else None
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if pat.search(line) and not (exc and exc.search(line)):
            then = rule.get("then")
            if not then:
                return True
            tp = re.compile(then["pattern"])
            if any(tp.search(l) for l in lines[i + 1:i + 1 + then["within"]]):
                return True
    return False

def check(path):
    errs, ids = [], set()
    data = tomllib.load(open(path, "rb"))
    if "pack" not in data: errs.append("missing [pack]")
    for r in data.get("rules", []):
        rid = r.get("id", "<no id>")
        def e(msg): errs.append(f"{path}: rule {rid}: {msg}")
        for k in r:
            if k not in KEYS: e(f"unknown key {k}")
        for k in ("id", "category", "title", "pattern", "confidence", "remediation", "sources", "examples"):
            if k not in r: e(f"missing {k}")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rid): e("id not kebab-case")
        if rid in ids: e("duplicate id")
        ids.add(rid)
        if r.get("category") not in CATS: e(f"bad category {r.get('category')}")
        if not 0 < r.get("confidence", 0) <= 1: e("confidence out of range")
        for a in r.get("actions", []):
            if a not in ACTIONS: e(f"bad action {a}")
        try:
            re.compile(r.get("pattern", ""))
            if r.get("exclude"): re.compile(r["exclude"])
            if r.get("then"): re.compile(r["then"]["pattern"])
        except re.error as x:
            e(f"bad regex: {x}"); continue
        names = set(re.compile(r["pattern"]).groupindex)
        for step in r.get("remediation", []):
            for n in re.findall(r"\{(\w+)\}", step):
                if n not in names: e(f"remediation uses unknown capture {n}")
        for ex in r.get("examples", []):
            if not matches(r, ex): e(f"example does not match: {ex!r}")
        for ex in r.get("counterexamples", []):
            if matches(r, ex): e(f"counterexample matches: {ex!r}")
    print(f"{path}: {len(data.get('rules', []))} rules, {len(errs)} problems")
    for x in errs: print("  " + x)
    return not errs

sys.exit(0 if all([check(p) for p in sys.argv[1:]]) else 1)
