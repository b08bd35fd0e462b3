"""Live catalog sync, against real botocore clients with ``botocore.stub.Stubber``.

The Stubber checks each request's parameters and each response's shape against the Bedrock
service model, so a wrong field name fails here (moto does not implement these calls).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402

from rewriter.catalog import ALL_COMMERCIAL, load_catalog  # noqa: E402
from rewriter.catalog.sync import make_session, sync_profiles, write_catalog_file  # noqa: E402
from rewriter.errors import CatalogError, InputError  # noqa: E402

ACCOUNT = "111122223333"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
JP = f"jp.{SONNET}"
GLOBAL = f"global.{SONNET}"
APAC_NOVA = "apac.amazon.nova-lite-v1:0"
APP_ARN = f"arn:aws:bedrock:ap-northeast-1:{ACCOUNT}:application-inference-profile/team1"


def model_arns(model: str, *regions: str) -> list[dict[str, str]]:
    return [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in regions]


def summary(
    profile_id: str,
    region: str,
    models: list[dict[str, str]],
    *,
    kind: str = "SYSTEM_DEFINED",
    arn: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "inferenceProfileName": name or profile_id,
        "inferenceProfileArn": arn
        or f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{profile_id}",
        "inferenceProfileId": profile_id,
        "models": models,
        "status": "ACTIVE",
        "type": kind,
    }


def client(region: str) -> Any:
    return boto3.client(
        "bedrock", region_name=region, aws_access_key_id="x", aws_secret_access_key="y"
    )


def list_params(kind: str, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"typeEquals": kind, "maxResults": 1000}
    if token:
        params["nextToken"] = token
    return params


@pytest.fixture
def stubbed() -> Iterator[dict[str, tuple[Any, Stubber]]]:
    clients: dict[str, tuple[Any, Stubber]] = {}
    for region in ("ap-northeast-1", "ap-northeast-3"):
        c = client(region)
        clients[region] = (c, Stubber(c))
    for _, stub in clients.values():
        stub.activate()
    yield clients
    for _, stub in clients.values():
        stub.deactivate()


def queue_tokyo_and_osaka(clients: dict[str, tuple[Any, Stubber]]) -> None:
    tokyo = clients["ap-northeast-1"][1]
    # Page 1 of system profiles, with a nextToken.
    tokyo.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                summary(
                    JP,
                    "ap-northeast-1",
                    model_arns(SONNET, "ap-northeast-1", "ap-northeast-3"),
                    name="JP Anthropic Claude Sonnet 4.5",
                ),
                # models[] of a global profile is not trusted: whatever it says is ignored.
                summary(GLOBAL, "ap-northeast-1", model_arns(SONNET, "ap-northeast-1")),
            ],
            "nextToken": "page-2",
        },
        list_params("SYSTEM_DEFINED"),
    )
    # Page 2. (The botocore model caps models[] at 5 items, so stubs stay within 5 Regions.)
    tokyo.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                summary(
                    APAC_NOVA,
                    "ap-northeast-1",
                    model_arns(
                        "amazon.nova-lite-v1:0",
                        "ap-northeast-1",
                        "ap-southeast-2",
                        "ap-northeast-2",
                    ),
                )
            ]
        },
        list_params("SYSTEM_DEFINED", "page-2"),
    )
    tokyo.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                summary(
                    "team1",
                    "ap-northeast-1",
                    model_arns(SONNET, "ap-northeast-1", "ap-northeast-3"),
                    kind="APPLICATION",
                    arn=APP_ARN,
                    name="team one",
                ),
            ]
        },
        list_params("APPLICATION"),
    )
    osaka = clients["ap-northeast-3"][1]
    osaka.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                summary(
                    JP, "ap-northeast-3", model_arns(SONNET, "ap-northeast-3", "ap-northeast-1")
                )
            ]
        },
        list_params("SYSTEM_DEFINED"),
    )
    osaka.add_response(
        "list_inference_profiles", {"inferenceProfileSummaries": []}, list_params("APPLICATION")
    )


def test_sync_paginates_and_merges_routes(stubbed: dict[str, tuple[Any, Stubber]]) -> None:
    queue_tokyo_and_osaka(stubbed)
    entries = sync_profiles(
        ["ap-northeast-1", "ap-northeast-3"], client_factory=lambda region: stubbed[region][0]
    )
    for _, stub in stubbed.values():
        stub.assert_no_pending_responses()
    by_key = {e.get("arn") or e["id"]: e for e in entries}
    assert set(by_key) == {JP, GLOBAL, APAC_NOVA, APP_ARN}

    jp = by_key[JP]
    assert jp["routes"] == {
        "ap-northeast-1": ["ap-northeast-1", "ap-northeast-3"],
        "ap-northeast-3": ["ap-northeast-1", "ap-northeast-3"],
    }
    assert (jp["model"], jp["geography"], jp["name"]) == (
        SONNET,
        "jp",
        "JP Anthropic Claude Sonnet 4.5",
    )

    glob = by_key[GLOBAL]
    assert glob["geography"] == "global" and glob["model"] == SONNET
    assert glob["routes"] == {"ap-northeast-1": [ALL_COMMERCIAL, "ap-northeast-1"]}

    nova = by_key[APAC_NOVA]
    assert nova["routes"] == {
        "ap-northeast-1": ["ap-northeast-1", "ap-northeast-2", "ap-southeast-2"]
    }
    assert nova["model"] == "amazon.nova-lite-v1:0"

    app = by_key[APP_ARN]
    assert (app["kind"], app["id"], app["geography"]) == ("application", "team1", "custom")
    assert app["routes"] == {"ap-northeast-1": ["ap-northeast-1", "ap-northeast-3"]}


def test_synced_file_loads_back(stubbed: dict[str, tuple[Any, Stubber]], tmp_path: Path) -> None:
    queue_tokyo_and_osaka(stubbed)
    entries = sync_profiles(
        ["ap-northeast-1", "ap-northeast-3"], client_factory=lambda region: stubbed[region][0]
    )
    path = tmp_path / "synced.json"
    write_catalog_file(
        entries, path, regions=["ap-northeast-1", "ap-northeast-3"], data_date="2026-11-28"
    )
    document = json.loads(path.read_text())
    assert document["data_date"] == "2026-11-28"
    assert "ap-northeast-1, ap-northeast-3" in document["source"]

    catalog = load_catalog(str(path))
    assert catalog.get(JP).destinations("ap-northeast-3") == ("ap-northeast-1", "ap-northeast-3")
    assert catalog.get(APP_ARN).arn_in("ap-northeast-1") == APP_ARN
    assert catalog.get(GLOBAL).sources == ("ap-northeast-1",)  # synced entry replaced the built-in


def test_verify_calls_get_for_every_geographic_profile(
    stubbed: dict[str, tuple[Any, Stubber]],
) -> None:
    c, stub = stubbed["ap-northeast-1"]
    stub.add_response(
        "list_inference_profiles",
        {
            "inferenceProfileSummaries": [
                summary(JP, "ap-northeast-1", model_arns(SONNET, "ap-northeast-1")),
                summary(GLOBAL, "ap-northeast-1", model_arns(SONNET, "ap-northeast-1")),
            ]
        },
        list_params("SYSTEM_DEFINED"),
    )
    # Only the geographic profile is looked up; the answer wins over the summary.
    stub.add_response(
        "get_inference_profile",
        summary(JP, "ap-northeast-1", model_arns(SONNET, "ap-northeast-1", "ap-northeast-3")),
        {"inferenceProfileIdentifier": JP},
    )
    stub.add_response(
        "list_inference_profiles", {"inferenceProfileSummaries": []}, list_params("APPLICATION")
    )
    entries = sync_profiles(["ap-northeast-1"], client_factory=lambda region: c, verify=True)
    stub.assert_no_pending_responses()
    jp = next(e for e in entries if e["id"] == JP)
    assert jp["routes"]["ap-northeast-1"] == ["ap-northeast-1", "ap-northeast-3"]


def test_get_is_called_when_a_summary_lists_no_models() -> None:
    """The API documents models[] as required; a summary without it must still not lose routes.

    The Stubber refuses such a response (it validates against the service model), so a plain
    double plays the client here.
    """
    calls: list[tuple[str, dict[str, Any]]] = []

    class Client:
        def list_inference_profiles(self, **params: Any) -> dict[str, Any]:
            calls.append(("list", params))
            if params["typeEquals"] == "APPLICATION":
                return {"inferenceProfileSummaries": []}
            return {"inferenceProfileSummaries": [summary(JP, "ap-northeast-1", [])]}

        def get_inference_profile(self, **params: Any) -> dict[str, Any]:
            calls.append(("get", params))
            return summary(
                JP, "ap-northeast-1", model_arns(SONNET, "ap-northeast-1", "ap-northeast-3")
            )

    entries = sync_profiles(["ap-northeast-1"], client_factory=lambda region: Client())
    assert ("get", {"inferenceProfileIdentifier": JP}) in calls
    assert entries[0]["routes"] == {"ap-northeast-1": ["ap-northeast-1", "ap-northeast-3"]}


def test_aws_error_names_the_region(stubbed: dict[str, tuple[Any, Stubber]]) -> None:
    c, stub = stubbed["ap-northeast-3"]
    stub.add_client_error(
        "list_inference_profiles",
        service_error_code="AccessDeniedException",
        service_message="not authorized",
        http_status_code=403,
        expected_params=list_params("SYSTEM_DEFINED"),
    )
    with pytest.raises(InputError) as info:
        sync_profiles(["ap-northeast-3"], client_factory=lambda region: c)
    assert "ap-northeast-3" in str(info.value) and "AccessDeniedException" in str(info.value)


def test_bad_region_is_refused_before_any_call() -> None:
    def no_client(region: str) -> Any:
        raise AssertionError("no call expected")

    with pytest.raises(InputError, match="'us-east-9' is not an AWS Region code"):
        sync_profiles(["us-east-1", "us-east-9"], client_factory=no_client)
    with pytest.raises(InputError, match="at least one"):
        sync_profiles([], client_factory=no_client)


def test_session_makes_the_clients(stubbed: dict[str, tuple[Any, Stubber]]) -> None:
    c, stub = stubbed["ap-northeast-3"]
    stub.add_response(
        "list_inference_profiles", {"inferenceProfileSummaries": []}, list_params("SYSTEM_DEFINED")
    )
    stub.add_response(
        "list_inference_profiles", {"inferenceProfileSummaries": []}, list_params("APPLICATION")
    )
    asked: list[tuple[str, str]] = []

    class Session:
        def client(self, service: str, region_name: str) -> Any:
            asked.append((service, region_name))
            return c

    assert sync_profiles(["ap-northeast-3"], session=Session()) == []
    assert asked == [("bedrock", "ap-northeast-3")]


def test_missing_boto3_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 now raises ImportError
    with pytest.raises(InputError, match=r"scp-fix\[aws\]"):
        make_session()


def test_unknown_aws_profile_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(InputError, match="no AWS profile named 'nope'"):
        make_session("nope")


def test_write_refuses_entries_that_would_not_load(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    bad = [
        {
            "id": "us.x.m-v1:0",
            "model": "x.m-v1:0",
            "geography": "us",
            "routes": {"us-east-1": ["us-east-1", "all-commercial"]},  # not a global profile
        }
    ]
    with pytest.raises(CatalogError, match="would not load"):
        write_catalog_file(bad, path)
    assert not path.exists()
    # A destination in a Region newer than scp-fix's list is Bedrock's word: written, warned on load.
    newer = [{"id": "us.x.m-v1:0", "model": "x.m-v1:0", "routes": {"us-east-1": ["us-east-1", "us-east-7"]}}]
    write_catalog_file(newer, path)
    catalog = load_catalog(synced_file=path)
    assert catalog.get("us.x.m-v1:0").destinations("us-east-1") == ("us-east-1", "us-east-7")
    assert len(catalog.warnings) == 1 and "'us-east-7' is not a Region scp-fix knows" in catalog.warnings[0]


def test_write_reports_an_unwritable_path(tmp_path: Path) -> None:
    good = [
        {
            "id": "us.x.m-v1:0",
            "model": "x.m-v1:0",
            "geography": "us",
            "routes": {"us-east-1": ["us-east-1"]},
        }
    ]
    # A missing folder is made (the first sync into $XDG_DATA_HOME/scp-fix); a file in the way is not.
    made = tmp_path / "new-dir" / "out.json"
    write_catalog_file(good, made)
    assert load_catalog(made).get("us.x.m-v1:0")
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "out.json"
    with pytest.raises(InputError) as info:
        write_catalog_file(good, target)
    assert info.value.path == str(target)


# -- the synced user catalog: sync -> $XDG_DATA_HOME/scp-fix/profiles.json -> check, propose, diff ----

ROOT = Path(__file__).resolve().parent.parent
TOKYO_ONLY = str(ROOT / "samples" / "tokyo-only.json")


def _sync_into_user_catalog(
    stubbed: dict[str, tuple[Any, Stubber]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    from typer.testing import CliRunner

    import rewriter.catalog.sync as sync_module
    from rewriter.cli import app

    class Session:
        def client(self, service: str, region_name: str) -> Any:
            return stubbed[region_name][0]

    monkeypatch.setattr(sync_module, "make_session", lambda aws_profile=None: Session())
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    queue_tokyo_and_osaka(stubbed)
    result = CliRunner().invoke(
        app, ["profiles", "sync", "--region", "ap-northeast-1", "--region", "ap-northeast-3"]
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / "data" / "scp-fix" / "profiles.json"
    assert f"to {path}" in result.stdout
    return path


def test_sync_writes_the_user_catalog_that_check_and_propose_use(
    stubbed: dict[str, tuple[Any, Stubber]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from rewriter.cli import app

    path = _sync_into_user_catalog(stubbed, monkeypatch, tmp_path)
    document = json.loads(path.read_text())
    assert document["regions"] == ["ap-northeast-1", "ap-northeast-3"]
    runner = CliRunner()
    # The application profile is known only from the sync: check finds it without --profiles-file.
    check = runner.invoke(app, ["check", TOKYO_ONLY, "--profile", APP_ARN, "--format", "json"])
    assert check.exit_code == 1, check.output  # Tokyo only: the ap-northeast-3 destination is denied
    assert json.loads(check.stdout)["profiles"][0]["denied_regions"] == ["ap-northeast-3"]
    assert f"note: using the catalog synced {document['data_date']} ({path})" in check.stderr
    propose = runner.invoke(app, ["propose", TOKYO_ONLY, "--profile", APP_ARN])
    assert propose.exit_code == 1, propose.output
    assert APP_ARN in propose.stdout  # the profile-ARN exemption names the synced profile
    listing = runner.invoke(app, ["profiles", "list", "--format", "json"])
    assert json.loads(listing.stdout)["synced"] == {"file": str(path), "data_date": document["data_date"]}

    # Without the user catalog, the same profile is unknown: the sync made the difference.
    path.unlink()
    assert runner.invoke(app, ["check", TOKYO_ONLY, "--profile", APP_ARN]).exit_code == 2


def test_profiles_diff_against_the_builtin_catalog(
    stubbed: dict[str, tuple[Any, Stubber]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from rewriter.cli import app

    _sync_into_user_catalog(stubbed, monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["profiles", "diff", "--format", "json"])
    assert result.exit_code == 1, result.output  # there are changes
    data = json.loads(result.stdout)
    assert [p["id"] for p in data["added"]] == ["team1"]  # the application profile
    builtin = load_catalog()
    # Every built-in route from Tokyo or Osaka that Bedrock did not list is reported removed.
    listed = {(JP, "ap-northeast-1"), (JP, "ap-northeast-3"), (GLOBAL, "ap-northeast-1"), (APAC_NOVA, "ap-northeast-1")}
    expected_removed = {
        (p.id, s) for p in builtin.profiles for s in p.routes
        if s in ("ap-northeast-1", "ap-northeast-3") and (p.id, s) not in listed
    }
    assert {(c["profile"], c["source_region"]) for c in data["removed"]} == expected_removed
    assert (GLOBAL, "ap-northeast-3") in expected_removed  # the stub's Osaka lists no global profile
    # Changed: exactly the listed routes whose destinations differ from the built-in data.
    stub_routes = {APAC_NOVA: ("ap-northeast-1", "ap-northeast-2", "ap-southeast-2"), JP: ("ap-northeast-1", "ap-northeast-3")}
    expected_changed = {
        (key, "ap-northeast-1") for key, route in stub_routes.items()
        if builtin.get(key).routes.get("ap-northeast-1") != route
    }
    assert {(c["profile"], c["source_region"]) for c in data["changed"]} == expected_changed
    text = CliRunner().invoke(app, ["profiles", "diff"])
    assert "+ " + APP_ARN + ": new profile, from ap-northeast-1" in text.stdout
    assert f"{len(expected_removed)} removed" in text.stdout


def test_newest_data_first(tmp_path: Path) -> None:
    """A sync newer than the built-in data replaces the routes it asked; an older one only adds."""
    builtin = load_catalog()
    asked_only_tokyo = [{"id": JP, "model": SONNET, "routes": {"ap-northeast-1": ["ap-northeast-1"]}}]
    for date, expected in (("2999-01-01", ("ap-northeast-1",)), ("2000-01-01", builtin.get(JP).destinations("ap-northeast-1"))):
        path = tmp_path / f"{date}.json"
        write_catalog_file(asked_only_tokyo, path, regions=["ap-northeast-1"], data_date=date)
        catalog = load_catalog(synced_file=path)
        jp = catalog.get(JP)
        assert jp.destinations("ap-northeast-1") == expected, date
        # Osaka was not asked: its built-in route stays either way.
        assert jp.destinations("ap-northeast-3") == builtin.get(JP).destinations("ap-northeast-3")
        assert catalog.synced == (str(path), date)
    # --profiles-file still wins over both.
    user = tmp_path / "user.yaml"
    user.write_text(f'- id: "{JP}"\n  model: "{SONNET}"\n  routes: {{ap-northeast-1: [ap-northeast-1, ap-northeast-2]}}\n')
    both = load_catalog(user, synced_file=tmp_path / "2999-01-01.json")
    assert both.get(JP).destinations("ap-northeast-1") == ("ap-northeast-1", "ap-northeast-2")
