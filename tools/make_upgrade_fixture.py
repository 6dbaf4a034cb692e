"""Make the upgrade fixture of a release: its demo data, dumped by that release's own code.

    .venv/bin/python tools/make_upgrade_fixture.py --commit <commit of the release> --version <its version>

What it does, in a git worktree of ``--commit`` outside this checkout (``/tmp/fbh-release-<version>-*``), with this
checkout's virtualenv (``--python``; the release's requirements must be the ones installed) and embedded servers of
the worktree's own (``FEEDBACKHUB_DATA_DIR=.data/fixture`` there; DATABASE_URL, REDIS_URL and MISTRAL_API_KEY are
left out of its environment): ``manage.py migrate``, ``manage.py load_demo --seed <seed>``, ``manage.py backup``.
The dump and its manifest are copied to ``tests/fixtures/upgrade/<version>.dump`` (+ ``.manifest.json``), with
``<version>.release.json`` (commit, date, sizes) and a line in ``tests/fixtures/upgrade/README.md``. Then the
worktree's servers are stopped and the worktree removed. 36 s on 2 cores for 0.11.0 (2.1 MB dump).

A release, here: the ``version`` in pyproject.toml at a landed commit of main. Release step, before the version in
pyproject.toml moves on from X to Y:

1. ``tools/make_upgrade_fixture.py --commit <the commit that is X> --version X``
2. ``git rm`` the fixture of the release before X unless upgrades from it stay supported (every fixture in the folder
   is migrated forward by tests/upgrade/; each costs ~2 MB and ~20 s of make test)
3. set ``version = "Y"`` in pyproject.toml, run ``pytest tests/upgrade``, commit the fixture with the bump.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
DEMO_SEED = 7
# Settings the release must not inherit from the shell that runs this: it uses its own embedded servers, offline AI.
LEFT_OUT = {
    "DATABASE_URL",
    "REDIS_URL",
    "MISTRAL_API_KEY",
    "FEEDBACKHUB_DATA_DIR",
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
}


def run(command: list[str], *, cwd: Path, env: dict | None = None) -> str:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed (exit {result.returncode}): {' '.join(command)}\n{result.stdout[-3000:]}{result.stderr}")
    return result.stdout


def release_env(worktree: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in LEFT_OUT}
    return env | {"DEBUG": "1", "FEEDBACKHUB_DATA_DIR": ".data/fixture"}


def write_readme_line(version: str, line: str) -> None:
    readme = FIXTURES / "README.md"
    lines = readme.read_text().splitlines() if readme.exists() else []
    lines = [existing for existing in lines if not existing.startswith(f"- `{version}.dump`")] + [line]
    readme.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", required=True, help="The landed commit of main that is the release.")
    parser.add_argument("--version", required=True, help="Its version (pyproject.toml's at that commit).")
    parser.add_argument("--python", default=sys.executable, help="The Python to run it with (default: this one).")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="load_demo's seed.")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\d+\.\d+\.\d+", args.version):
        sys.exit(f"--version {args.version!r}: give x.y.z")
    commit = run(["git", "rev-parse", "--verify", f"{args.commit}^{{commit}}"], cwd=ROOT).strip()
    subject = run(["git", "log", "-1", "--format=%s", commit], cwd=ROOT).strip()
    worktree = Path(tempfile.mkdtemp(prefix=f"fbh-release-{args.version}-", dir="/tmp"))
    worktree.rmdir()  # git worktree add creates it
    run(["git", "worktree", "add", "--detach", str(worktree), commit], cwd=ROOT)
    env = release_env(worktree)
    at = run(["git", "show", f"{commit}:pyproject.toml"], cwd=ROOT)
    if found := re.search(r'^version = "([^"]+)"', at, re.M):
        print(f"pyproject.toml at {commit[:7]} says version {found.group(1)}; fixture named {args.version}")

    def manage(*command: str) -> str:
        return run([args.python, "manage.py", *command], cwd=worktree, env=env)

    try:
        manage("migrate", "--no-input", "-v", "0")
        print(manage("load_demo", "--seed", str(args.seed))[-2000:])
        dump = worktree / ".data" / "fixture" / "out" / f"{args.version}.dump"
        print(manage("backup", "--output", str(dump)))
        FIXTURES.mkdir(parents=True, exist_ok=True)
        shutil.copy2(dump, FIXTURES / dump.name)
        manifest = dump.with_name(dump.name + ".manifest.json")
        shutil.copy2(manifest, FIXTURES / manifest.name)
        counts = json.loads(manifest.read_text())["tables"]
        release = {
            "version": args.version,
            "commit": commit,
            "subject": subject,
            "made": datetime.now(UTC).isoformat(timespec="seconds"),
            "made_with": f"tools/make_upgrade_fixture.py --commit {commit[:7]} --version {args.version}",
            "demo_seed": args.seed,
            "dump_bytes": dump.stat().st_size,
            "rows": sum(counts.values()),
            "feedback_items": counts.get("public.feedback_feedbackitem", 0),
        }
        (FIXTURES / f"{args.version}.release.json").write_text(json.dumps(release, indent=2) + "\n")
        write_readme_line(
            args.version,
            f"- `{args.version}.dump` (+ `.manifest.json`, `.release.json`): release {args.version} = commit "
            f"{commit[:7]}; its own code in a worktree ran `migrate`, `load_demo --seed {args.seed}` and `backup` "
            f"({release['feedback_items']:,} feedback items, {release['rows']:,} rows, "
            f"{release['dump_bytes'] / 1e6:.1f} MB), made {release['made'][:10]} by `{release['made_with']}`.",
        )
        print(f"wrote {FIXTURES.relative_to(ROOT)}/{args.version}.* ({release['dump_bytes'] / 1e6:.1f} MB)")
    finally:
        subprocess.run([args.python, "manage.py", "services", "stop"], cwd=worktree, env=env, capture_output=True)
        run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)


if __name__ == "__main__":
    main()
