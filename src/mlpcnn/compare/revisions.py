"""Reading the study's committed results at a git revision, a DVC experiment, or in the
working tree, without checking anything out."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

WORKSPACE = "workspace"


class RevisionError(ValueError):
    """A revision that names no commit or experiment; the message says which."""


@dataclass(frozen=True)
class Revision:
    """Where results are read: ``commit`` in the git repository at ``root``, or the
    working tree when ``commit`` is None. ``name`` is how the user named it."""

    root: Path
    name: str
    commit: str | None

    def read(self, path: str) -> str | None:
        """The text of ``path`` (relative to the root) at this revision; None if absent."""
        if self.commit is None:
            file = self.root / path
            return file.read_text() if file.is_file() else None
        done = _git(self.root, "show", f"{self.commit}:{path}", check=False)
        return done.stdout if done.returncode == 0 else None

    def files(self, folder: str, suffix: str) -> list[str]:
        """Paths under ``folder`` ending in ``suffix``, relative to the root, sorted."""
        if self.commit is None:
            base = self.root / folder
            found = [p.relative_to(self.root).as_posix() for p in base.rglob(f"*{suffix}")]
        else:
            listing = _git(self.root, "ls-tree", "-r", "--name-only", self.commit, "--", folder)
            found = [p for p in listing.stdout.splitlines() if p.endswith(suffix)]
        return sorted(found)


def resolve(root: Path, name: str | None) -> Revision:
    """``None`` or ``workspace``: the working tree; else a git revision (commit, branch,
    tag, ``HEAD~1``) or the name of a DVC experiment (as ``dvc exp show`` lists it)."""
    if name is None or name == WORKSPACE:
        return Revision(root, WORKSPACE, None)
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False)
    if done.returncode == 0:
        return Revision(root, name, done.stdout.strip())
    # DVC keeps each experiment as a ref refs/exps/<..>/<baseline>/<name>.
    refs = _git(root, "for-each-ref", "--format=%(refname) %(objectname)", "refs/exps", check=False)
    matches = [line.split()[1] for line in refs.stdout.splitlines()
               if line.split()[0].rsplit("/", 1)[-1] == name]  # fmt: skip
    if len(matches) == 1:
        return Revision(root, name, matches[0])
    if len(matches) > 1:
        raise RevisionError(f"{name}: names {len(matches)} experiments; give a commit instead")
    raise RevisionError(f"{name}: not a git revision or a DVC experiment of {root}")


def repository_root(start: Path) -> Path:
    done = _git(start, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise RevisionError(f"{start}: not inside a git repository")
    return Path(done.stdout.strip())


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except FileNotFoundError:
        raise RevisionError("git is not installed: mlpcnn diff reads revisions with it") from None
    if check and done.returncode != 0:
        raise RevisionError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done
