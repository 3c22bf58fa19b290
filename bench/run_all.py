"""Runs every bench/*_bench.py in its own process and prints one JSON object of their figures."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def settle(timeout: float = 60) -> None:
    """Before each bench, PostgreSQL's leftovers of the one before are done with: its dirty
    buffers written (a CHECKPOINT now rather than in the middle of the next bench; the
    console bench alone writes 1,000,000 rows) and no autovacuum worker busy."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        db.execute("CHECKPOINT")
        deadline = time.monotonic() + timeout
        busy = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
        while db.execute(busy).fetchone()[0] and time.monotonic() < deadline:  # type: ignore[index]
            time.sleep(0.5)


def main() -> int:
    figures: dict[str, object] = {}
    for script in sorted(HERE.glob("*_bench.py")):
        settle()
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
