"""One harness for the landing-zone corpus (tests/corpus/): real SCPs from public sources, as published.

``tests/corpus/cases.yaml`` holds one row per (policy, profile, source Region): what ``check`` finds and
what ``propose`` does. A row is::

    - file: ct-grregiondeny.json     # under tests/corpus/; a file in a folder brings the folder along
      profile: us.anthropic.claude-sonnet-4-5-20250929-v1:0
      source_region: us-east-1       # optional
      args: [--parameter, PARTITION=aws]   # optional, given to check and propose alike ({dir}: the file's folder)
      propose_args: [--override, "1"]      # optional, given to propose only
      check: blocked                 # ok (exit 0) | blocked (1) | needs-value (2)
      propose: fix                   # unchanged (0) | fix (1) | refuse (3) | needs-value (2)
      says: [substring, ...]         # optional: each appears in what propose prints

Every fix is written, checked again (not blocked) and proposed again (nothing to change, the file
untouched). A row that needs a value leaves the file as it was. Provenance is in tests/corpus/README.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from rewriter.cli import app

CORPUS = Path(__file__).resolve().parent / "corpus"
CHECK_EXIT = {"ok": 0, "blocked": 1, "needs-value": 2}
PROPOSE_EXIT = {"unchanged": 0, "fix": 1, "needs-value": 2, "refuse": 3}
_KEYS = {"file", "profile", "source_region", "args", "propose_args", "check", "propose", "says"}

runner = CliRunner()


def _rows() -> list[dict[str, Any]]:
    """The rows of every ``cases.yaml`` in the corpus (a folder's rows name its files from the folder,
    as ``identity/`` does for identity policies)."""
    rows = []
    for table in sorted(CORPUS.rglob("cases.yaml")):
        folder = table.parent.relative_to(CORPUS).as_posix()
        for row in yaml.safe_load(table.read_text(encoding="utf-8")):
            assert set(row) <= _KEYS, f"unknown keys in {row}"
            rows.append(row if folder == "." else {**row, "file": f"{folder}/{row['file']}"})
    return rows


def _id(row: dict[str, Any]) -> str:
    extra = " ".join([*row.get("args", []), *row.get("propose_args", [])])
    return f"{row['file']}|{row['profile']}|{row.get('source_region', 'any')}|{extra}"


def _place(tmp_path: Path, name: str) -> Path:
    """The corpus file in a scratch copy (with its folder, for a Terraform module or a template)."""
    source = CORPUS / name
    if source.parent != CORPUS:
        shutil.copytree(source.parent, tmp_path / source.parent.name)
        return tmp_path / source.parent.name / source.name
    shutil.copyfile(source, tmp_path / name)
    return tmp_path / name


def _request(row: dict[str, Any], folder: Path) -> list[str]:
    args = ["--profile", row["profile"]]
    if row.get("source_region"):
        args += ["--source-region", row["source_region"]]
    return args + [a.replace("{dir}", str(folder)) for a in row.get("args", [])]


def test_the_corpus_is_large_enough_and_every_file_is_used() -> None:
    rows = _rows()
    files = {row["file"] for row in rows}
    published = {
        p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("README.md", "cases.yaml") and p.suffix != ".tfvars"
        and p.name != "variables.tf"
    }
    assert published <= files, f"corpus files no row uses: {sorted(published - files)}"
    assert len(published) >= 15
    readme = "".join(p.read_text(encoding="utf-8") for p in CORPUS.rglob("README.md"))
    assert all(f"`{name}`" in readme for name in published), "every corpus file has its provenance row"


@pytest.mark.parametrize("row", _rows(), ids=_id)
def test_corpus_row(row: dict[str, Any], tmp_path: Path) -> None:
    path = _place(tmp_path, row["file"])
    before = path.read_text(encoding="utf-8")
    request = _request(row, path.parent)
    asked = [*request, *row.get("propose_args", [])]

    checked = runner.invoke(app, ["check", str(path), *request])
    assert checked.exit_code == CHECK_EXIT[row["check"]], checked.output

    proposed = runner.invoke(app, ["propose", str(path), *asked, "--format", "json"])
    assert proposed.exit_code == PROPOSE_EXIT[row["propose"]], proposed.output
    for phrase in row.get("says", []):
        assert phrase in proposed.output, proposed.output
    if row["propose"] == "needs-value":
        assert "needs a value for" in proposed.output
        assert path.read_text(encoding="utf-8") == before
        return
    if row["propose"] != "fix":
        assert path.read_text(encoding="utf-8") == before
        return

    data = json.loads(proposed.stdout)
    documents = data if isinstance(data, list) else [data]
    assert any(d["changed"] for d in documents) and all(d["status"] != "unsafe" for d in documents)
    written = runner.invoke(app, ["propose", str(path), *asked, "--write"])
    assert written.exit_code == 1, written.output
    after = path.read_text(encoding="utf-8")
    assert after != before
    again = runner.invoke(app, ["check", str(path), *request])
    assert again.exit_code == 0, again.output
    settled = runner.invoke(app, ["propose", str(path), *asked])
    assert settled.exit_code == 0, settled.output
    assert path.read_text(encoding="utf-8") == after
