"""``scp-fix profiles`` through typer's CliRunner: list, show and sync, in text and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from rewriter.catalog import ALL_COMMERCIAL, load_catalog
from rewriter.cli.profiles import profiles_app

JP_SONNET = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL_SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def make_app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(profiles_app, name="profiles")

    @app.callback()
    def _root() -> None:
        """Test root."""

    return app


APP = make_app()
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(APP, ["profiles", *args])


def test_list_text_filters_by_geography() -> None:
    result = run("list", "--geography", "jp")
    assert result.exit_code == 0, result.output
    ids = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("jp.")}
    expected = {p.id for p in load_catalog().profiles if p.geography == "jp"}
    assert ids == expected and JP_SONNET in ids
    assert f"{len(expected)} profiles" in result.stdout


def test_list_is_the_default_subcommand() -> None:
    default = run("--geography", "jp")
    explicit = run("list", "--geography", "jp")
    assert default.exit_code == 0 and default.stdout == explicit.stdout


def test_list_json_with_model_filter() -> None:
    result = run("list", "--model", "claude-sonnet-4-5", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["data_date"] == load_catalog().data_date
    ids = {p["id"] for p in document["profiles"]}
    assert {JP_SONNET, GLOBAL_SONNET} <= ids
    assert all("claude-sonnet-4-5" in p["model"] for p in document["profiles"])


def test_list_json_is_a_valid_profiles_file(tmp_path: Path) -> None:
    result = run("list", "--geography", "au", "--format", "json")
    path = tmp_path / "au.json"
    path.write_text(result.stdout)
    catalog = load_catalog(str(path))
    for entry in json.loads(result.stdout)["profiles"]:
        assert catalog.get(entry["id"]).routes == load_catalog().get(entry["id"]).routes


def test_list_bad_geography_exits_2() -> None:
    result = run("list", "--geography", "mars")
    assert result.exit_code == 2
    assert "unknown geography 'mars'" in result.stderr


def test_show_text_is_a_route_table() -> None:
    result = run("show", JP_SONNET)
    assert result.exit_code == 0, result.output
    rows = [
        line.split(None, 1)
        for line in result.stdout.splitlines()
        if line.strip().startswith("ap-northeast-")
    ]
    assert rows == [
        ["ap-northeast-1", "ap-northeast-1, ap-northeast-3"],
        ["ap-northeast-3", "ap-northeast-1, ap-northeast-3"],
    ]
    assert "JP Anthropic Claude Sonnet 4.5" in result.stdout


def test_show_json() -> None:
    result = run("show", JP_SONNET, "--format", "json")
    assert result.exit_code == 0, result.output
    (profile,) = json.loads(result.stdout)["profiles"]
    assert profile["routes"]["ap-northeast-1"] == ["ap-northeast-1", "ap-northeast-3"]
    assert profile["geography"] == "jp"


def test_show_global_names_unspecified() -> None:
    result = run("show", GLOBAL_SONNET)
    assert result.exit_code == 0, result.output
    assert "all commercial Regions" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith("us-east-1 "))
    assert row.split(None, 1)[1].endswith("us-east-1, unspecified")
    (profile,) = json.loads(run("show", GLOBAL_SONNET, "-f", "json").stdout)["profiles"]
    assert profile["routes"]["us-east-1"] == [ALL_COMMERCIAL, "us-east-1"]


def test_show_model_id_shows_every_profile() -> None:
    result = run("show", SONNET_MODEL, "--format", "json")
    assert result.exit_code == 0
    ids = {p["id"] for p in json.loads(result.stdout)["profiles"]}
    assert ids == {p.id for p in load_catalog().by_model(SONNET_MODEL)}


def test_show_unknown_id_exits_2_with_suggestion() -> None:
    result = run("show", "jp.anthropic.claude-sonnet-4-5")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert JP_SONNET in result.stderr and "nearest known" in result.stderr


def test_profiles_file_option(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        f'- id: "{JP_SONNET}"\n  model: "{SONNET_MODEL}"\n  routes:\n    ap-northeast-1: [ap-northeast-1]\n'
    )
    (profile,) = json.loads(
        run("show", JP_SONNET, "-f", "json", "--profiles-file", str(path)).stdout
    )["profiles"]
    assert profile["routes"] == {"ap-northeast-1": ["ap-northeast-1"]}
    listed = json.loads(run("--geography", "jp", "-f", "json", "--profiles-file", str(path)).stdout)
    assert listed["files"] == [str(path)]


def test_malformed_profiles_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('- id: "us.x.m-v1:0"\n  model: "x"\n  routes:\n    useast9: [us-east-1]\n')
    result = run("list", "--profiles-file", str(path))
    assert result.exit_code == 2
    assert f"{path}:4:" in result.stderr


def test_sync_writes_a_catalog_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    import rewriter.catalog.sync as sync_module

    client = boto3.client(
        "bedrock", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stub = Stubber(client)
    stub.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                {
                    "inferenceProfileName": "JP Anthropic Claude Sonnet 4.5",
                    "inferenceProfileArn": f"arn:aws:bedrock:ap-northeast-1:111122223333:inference-profile/{JP_SONNET}",
                    "inferenceProfileId": JP_SONNET,
                    "models": [
                        {"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{SONNET_MODEL}"}
                        for r in ("ap-northeast-1", "ap-northeast-3")
                    ],
                    "status": "ACTIVE",
                    "type": "SYSTEM_DEFINED",
                }
            ]
        },
        {"typeEquals": "SYSTEM_DEFINED", "maxResults": 1000},
    )
    stub.add_response(
        "list_inference_profiles",
        {"inferenceProfileSummaries": []},
        {"typeEquals": "APPLICATION", "maxResults": 1000},
    )
    profiles_asked: list[str | None] = []

    class Session:
        def client(self, service: str, region_name: str) -> Any:
            assert (service, region_name) == ("bedrock", "ap-northeast-1")
            return client

    def fake_session(aws_profile: str | None = None) -> Session:
        profiles_asked.append(aws_profile)
        return Session()

    monkeypatch.setattr(sync_module, "make_session", fake_session)
    out = tmp_path / "synced.json"
    with stub:
        result = run("sync", "--region", "ap-northeast-1", "--aws-profile", "audit", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert profiles_asked == ["audit"]
    assert "wrote 1 profiles" in result.stdout
    catalog = load_catalog(str(out))
    assert catalog.get(JP_SONNET).routes == {"ap-northeast-1": ("ap-northeast-1", "ap-northeast-3")}


def test_sync_bad_region_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import rewriter.catalog.sync as sync_module

    monkeypatch.setattr(sync_module, "make_session", lambda aws_profile=None: object())
    result = run("sync", "--region", "us-east-9", "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2
    assert "'us-east-9' is not an AWS Region code" in result.stderr
    assert not (tmp_path / "x.json").exists()


# --- options given before the subcommand (``profiles -g jp list``) are honoured -------------------


def _ids(result: Any) -> list[str]:
    assert result.exit_code == 0, result.output
    return [p["id"] for p in json.loads(result.stdout)["profiles"]]


def test_group_level_options_apply_to_list() -> None:
    assert _ids(run("-g", "jp", "-f", "json", "list")) == _ids(run("list", "-g", "jp", "-f", "json"))
    assert all(i.startswith("jp.") for i in _ids(run("-g", "jp", "-f", "json", "list")))
    text = run("-g", "jp", "list")
    assert "global." not in text.stdout and JP_SONNET in text.stdout
    assert json.loads(run("-f", "json", "list").stdout)["profiles"]  # JSON, not the text table
    both = _ids(run("-g", "jp", "-m", "sonnet-4-5", "-f", "json", "list"))
    assert both == [JP_SONNET]


def test_an_option_after_the_subcommand_wins_over_the_group_level_one() -> None:
    ids = _ids(run("-g", "jp", "-f", "json", "list", "-g", "au"))
    assert ids and all(i.startswith("au.") for i in ids)


def test_group_level_options_apply_to_show(tmp_path: Path) -> None:
    shown = run("-g", "jp", "-f", "json", "show", SONNET_MODEL)
    assert _ids(shown) == [JP_SONNET]
    entry = {
        "id": "custom.example-model-v1:0", "model": "example.model-v1:0", "geography": "custom",
        "routes": {"ap-northeast-1": ["ap-northeast-1", "ap-northeast-3"]},
    }
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps([entry]), encoding="utf-8")
    assert _ids(run("--profiles-file", str(extra), "-f", "json", "show", entry["id"])) == [entry["id"]]
    nothing = run("-g", "eu", "show", JP_SONNET)
    assert nothing.exit_code == 2 and "matches the --geography/--model given" in nothing.stderr


def test_sync_refuses_group_level_options_it_does_not_take(tmp_path: Path) -> None:
    result = run("-g", "jp", "sync", "-r", "us-east-1", "-o", str(tmp_path / "out.json"))
    assert result.exit_code == 2
    assert "profiles sync does not take --geography" in result.stderr
    assert not (tmp_path / "out.json").exists()


def test_the_readme_profiles_file_example_is_valid_and_usable(tmp_path: Path) -> None:
    """The README shows the --profiles-file format by the package's JSON Schema; its example holds to it."""
    import re

    import jsonschema
    import yaml

    from rewriter.catalog.entries import profiles_schema

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Your own profiles (`--profiles-file`)"):]
    assert "(rewriter/catalog/profiles.schema.json)" in section.split("```")[0]  # linked, not copied
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    jsonschema.validate(yaml.safe_load(block), profiles_schema())
    path = tmp_path / "mine.yaml"
    path.write_text(block, encoding="utf-8")
    app_arn = "arn:aws:bedrock:ap-northeast-1:111122223333:application-inference-profile/team-chat"
    shown = json.loads(run("--profiles-file", str(path), "-f", "json", "show", app_arn).stdout)
    assert shown["profiles"][0]["routes"] == {"ap-northeast-1": ["ap-northeast-1", "ap-northeast-3"]}
    assert str(path) in shown["files"]
