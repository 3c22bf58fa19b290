"""Runs every bench/*_bench.py in its own process and prints one JSON object of their figures."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    figures: dict[str, object] = {}
    for script in sorted(HERE.glob("*_bench.py")):
        done = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
            check=False,
        )
        name = script.stem.removesuffix("_bench")
        if done.returncode != 0:
            figures[name] = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        figures[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
