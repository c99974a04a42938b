#!/usr/bin/env python3
"""Checks .github/workflows/ci.yml against the repository (ctest label "cross"):
  - it parses as YAML and has jobs with steps;
  - the matrix covers every target docs/CROSS.md promises: linux-x64,
    linux-arm64, windows-x64 (MinGW cross), windows clang-cl, macos-arm64,
    macos-x64, wasm32;
  - every CMake preset it names (matrix `preset` values, `--preset X` in run
    steps, with ${{ matrix.preset }} expanded over the matrix) exists in
    CMakePresets.json as a configure preset, and as a build / test preset
    where `cmake --build` / `ctest` use it;
  - every repository script a run step calls exists.
Usage: check_workflow.py REPO_ROOT   (needs PyYAML: Debian python3-yaml)
"""
import json
import os
import re
import sys

import yaml

REQUIRED_TARGETS = {"linux-x64", "linux-arm64", "windows-x64", "windows-x64-clang-cl",
                    "macos-arm64", "macos-x64", "wasm32"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    root = sys.argv[1]
    path = os.path.join(root, ".github", "workflows", "ci.yml")
    with open(path) as f:
        wf = yaml.safe_load(f)
    if not isinstance(wf, dict) or "jobs" not in wf:
        fail(f"{path}: no jobs")
    # YAML 1.1 reads the key `on` as True.
    if "on" not in wf and True not in wf:
        fail(f"{path}: no 'on' triggers")
    with open(os.path.join(root, "CMakePresets.json")) as f:
        presets = json.load(f)
    kinds = {k: {p["name"] for p in presets.get(k, [])}
             for k in ("configurePresets", "buildPresets", "testPresets")}

    targets = set()
    checked = 0
    for job_name, job in wf["jobs"].items():
        steps = job.get("steps")
        if not steps:
            fail(f"job {job_name}: no steps")
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        rows = matrix.get("include") or [{}]
        for row in rows:
            if "target" in row:
                targets.add(row["target"])
            if row.get("preset") and row["preset"] not in kinds["configurePresets"]:
                fail(f"job {job_name}: matrix preset '{row['preset']}' not in CMakePresets.json")
        for step in steps:
            run = step.get("run")
            if not run:
                continue
            for row in rows:
                text = re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}",
                              lambda m: str(row.get(m.group(1), "")), run)
                for line in text.splitlines():
                    for m in re.finditer(r"--preset[ =](\S+)", line):
                        name = m.group(1)
                        if name not in kinds["configurePresets"]:
                            fail(f"job {job_name}: '{line.strip()}' names preset '{name}', "
                                 "which CMakePresets.json lacks")
                        if "cmake --build" in line and name not in kinds["buildPresets"]:
                            fail(f"job {job_name}: no build preset '{name}'")
                        if re.search(r"\bctest\b", line) and name not in kinds["testPresets"]:
                            fail(f"job {job_name}: no test preset '{name}'")
                        checked += 1
                    for m in re.finditer(r"(?:^|[\s;&|])((?:\.ci|scripts|cross|wasm|deploy)/[\w./-]+)",
                                         line):
                        if not os.path.exists(os.path.join(root, m.group(1))):
                            fail(f"job {job_name}: '{line.strip()}' calls {m.group(1)}, which "
                                 "does not exist")
    missing = REQUIRED_TARGETS - targets
    if missing:
        fail(f"matrix lacks targets: {sorted(missing)}")
    print(f"ok: {len(wf['jobs'])} jobs, targets {sorted(targets)}, {checked} preset uses checked")


if __name__ == "__main__":
    main()
