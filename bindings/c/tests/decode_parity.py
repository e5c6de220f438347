#!/usr/bin/env python3
"""Runs `ftpkit decode --json` and the C example `decode` over every transcript in crates/proto/testdata (and the
shared copies) and over each vector's input, and requires identical output and exit status."""
import json
import pathlib
import subprocess
import sys

cli, cdecode, root = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])


def run(prog, data):
    p = subprocess.run([prog, "decode", "--json"] if prog == cli else [prog], input=data, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout


inputs = []
testdata = root / "crates/proto/testdata"
for f in sorted(testdata.rglob("*")):
    if f.is_file() and f.suffix in (".txt", ".jsonl") and "fuzz" not in f.parts:
        inputs.append((str(f.relative_to(root)), f.read_bytes()))
for f in sorted((testdata / "vectors").glob("*.jsonl")):
    for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
        v = json.loads(line)
        if isinstance(v.get("input"), str):
            inputs.append((f"{f.name}:{n}", v["input"].encode("utf-8")))

failures = 0
items = 0
for name, data in inputs:
    a, b = run(cli, data), run(cdecode, data)
    items += a[1].count(b"\n")
    if a != b:
        failures += 1
        if failures <= 5:
            print(f"MISMATCH {name}: cli exit {a[0]}, C exit {b[0]}")
            for x, y in zip(a[1].splitlines(), b[1].splitlines()):
                if x != y:
                    print(f"  cli: {x.decode(errors='replace')}\n  C:   {y.decode(errors='replace')}")
                    break
print(f"decode parity: {len(inputs)} inputs, {items} JSON lines, {failures} mismatches")
sys.exit(1 if failures or not inputs else 0)
