"""The inference-profile catalog: built-in data, look-ups, user files, and the Region list."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rewriter.catalog import ALL_COMMERCIAL, GEOGRAPHIES, Catalog, Profile, load_catalog
from rewriter.catalog.loader import catalog_from_document
from rewriter.errors import CatalogError, ProfileNotFoundError, ScpFixError
from rewriter.regions_data import (
    ALL_COMMERCIAL as COMMERCIAL_REGIONS,
)
from rewriter.regions_data import (
    CHINA,
    GOVCLOUD,
    is_region_code,
    partition_of,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "rewriter" / "catalog" / "profiles.json"
# The shared reference beside the checkout (as scripts/build_catalog.py finds it).
REFERENCE = next(
    (d / "shared" / "reference" / "inference-profiles.yaml" for d in ROOT.parents
     if (d / "shared" / "reference" / "inference-profiles.yaml").is_file()),
    ROOT.parent / "shared" / "reference" / "inference-profiles.yaml",
)
JP_SONNET = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL_SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# -- the built-in data --------------------------------------------------------------------------


def test_data_file_records_date_and_sources() -> None:
    document = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert document["data_date"]
    assert "inference-profiles-support.html" in document["source"]
    # Every source is a copy of an AWS page, or the live crawl of the Bedrock API (2026-12-04 revision).
    for key, text in document["sources"].items():
        assert "docs.aws.amazon.com" in text or (
            key.startswith("crawl_") and "ListInferenceProfiles" in text
        ), key


def test_catalog_exposes_date_and_source(catalog: Catalog) -> None:
    assert catalog.data_date == json.loads(DATA_FILE.read_text())["data_date"]
    assert "docs.aws.amazon.com" in catalog.source
    assert len(catalog.profiles) >= 100


def test_every_source_has_a_route(catalog: Catalog) -> None:
    for profile in catalog.profiles:
        assert profile.geography in GEOGRAPHIES, profile.id
        if not profile.routes:
            # Only a profile whose sources AWS did not list; it must say so.
            assert any("UNCONFIRMED" in note for note in profile.notes), profile.id
        for source in profile.sources:
            destinations = profile.destinations(source)
            assert destinations, (profile.id, source)
            assert list(destinations) == sorted(set(destinations)), (profile.id, source)


def test_global_profiles_route_to_their_source_for_scp_purposes(catalog: Catalog) -> None:
    globals_ = [p for p in catalog.profiles if p.is_global]
    assert globals_
    for profile in globals_:
        assert profile.id.startswith("global.")
        for source in profile.sources:
            assert profile.destinations(source) == (source,)
        # What AWS prints is kept: "Commercial AWS Regions" plus the source.
        for source, printed in profile.to_dict()["routes"].items():
            assert printed == [ALL_COMMERCIAL, source]


def test_every_region_code_is_real(catalog: Catalog) -> None:
    for profile in catalog.profiles:
        for routes in (profile.routes, profile.unconfirmed_routes):
            for source, destinations in routes.items():
                assert is_region_code(source), (profile.id, source)
                for destination in destinations:
                    assert is_region_code(destination), (profile.id, destination)


def test_geographic_prefix_matches_geography(catalog: Catalog) -> None:
    for profile in catalog.profiles:
        assert profile.id.split(".", 1)[0] == profile.geography, profile.id
        assert profile.id.endswith(profile.model), profile.id


def test_builtin_passes_the_strict_loader(catalog: Catalog) -> None:
    """The built-in file is loaded without per-entry checks; the checks must still pass on it."""
    strict = catalog_from_document(json.loads(DATA_FILE.read_text()), validate=True)
    assert strict.profiles == catalog.profiles


def test_the_data_file_and_a_sync_file_follow_the_published_schema() -> None:
    """profiles.schema.json documents --profiles-file; the built-in file is one, checked by jsonschema."""
    import jsonschema

    from rewriter.catalog.entries import profiles_schema

    schema = profiles_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(DATA_FILE.read_text(encoding="utf-8")), schema)
    jsonschema.validate([{"id": "us.x.m", "model": "x.m", "routes": {"us-east-1": ["us-east-1"]}}], schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "us.x.m", "model": "x.m", "routes": {"us-east-1": []}}], schema)


def test_unconfirmed_names_are_null_with_a_note(catalog: Catalog) -> None:
    unnamed = [p for p in catalog.profiles if p.name is None]
    assert unnamed
    for profile in unnamed:
        assert any("Name UNCONFIRMED" in note for note in profile.notes), profile.id


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference data not present")
def test_matches_the_reference_yaml(catalog: Catalog) -> None:
    import yaml

    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["profiles"]
    assert {p["id"] for p in reference} == {p.id for p in catalog.profiles}
    for entry in reference:
        profile = catalog.get(entry["id"])
        assert profile.model == entry["model"]
        assert profile.geography == entry["geography"]
        assert profile.name == (None if entry["name"] == "UNCONFIRMED" else entry["name"])
        routes = entry["routes"] if isinstance(entry["routes"], dict) else {}
        printed = {
            s: [ALL_COMMERCIAL if d == "ALL_COMMERCIAL" else d for d in ds]
            for s, ds in routes.items()
        }
        # Every source Region, with the same destinations.
        assert profile.to_dict()["routes"] == printed, profile.id
        assert profile.lifecycle == entry.get("lifecycle", "active"), profile.id
        assert profile.end_of_life == entry.get("end_of_life"), profile.id


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared reference data not present")
def test_announced_ids_match_the_reference(catalog: Catalog) -> None:
    import yaml

    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    announced = {a["id"]: a["model"] for a in reference.get("announced_unconfirmed") or ()}
    assert {a.id: a.model for a in catalog.announced} == announced
    # Announced ids are not profiles: they carry no routes.
    assert not set(announced) & {p.id for p in catalog.profiles}


def test_the_2026_12_revision_is_in(catalog: Catalog) -> None:
    """Models newer than May 2026, the new 'in' geography, and lifecycle on retired profiles."""
    sonnet_5 = catalog.get("us.anthropic.claude-sonnet-5")
    assert sonnet_5.destinations("us-west-1") == ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
    india = catalog.get("in.openai.gpt-5.6-luna")
    assert india.geography == "in" and "in" in GEOGRAPHIES
    assert india.destinations("ap-south-2") == ("ap-south-1", "ap-south-2")
    retired = catalog.get("us.anthropic.claude-3-7-sonnet-20250219-v1:0")
    assert retired.is_end_of_life and retired.end_of_life == "2026-04-28"
    assert retired.lifecycle_text == "end of life since 2026-04-28"
    assert retired.routes  # kept, so old policies and error messages can still be explained
    legacy = catalog.get(GLOBAL_SONNET)
    assert (legacy.lifecycle, legacy.end_of_life) == ("legacy", "2027-04-08")
    assert catalog.get(JP_SONNET.replace("sonnet-4-5-20250929-v1:0", "sonnet-4-6")).lifecycle == "active"


# -- the JP example -------------------------------------------------------------------------------


def test_jp_example(catalog: Catalog) -> None:
    profile = catalog.get(JP_SONNET)
    assert profile.geography == "jp"
    assert profile.model == SONNET_MODEL
    assert set(profile.destinations("ap-northeast-1")) == {"ap-northeast-1", "ap-northeast-3"}
    assert set(profile.destinations("ap-northeast-3")) == {"ap-northeast-1", "ap-northeast-3"}
    assert profile.sources == ("ap-northeast-1", "ap-northeast-3")


def test_unknown_source_region_names_the_real_ones(catalog: Catalog) -> None:
    with pytest.raises(ProfileNotFoundError) as info:
        catalog.get(JP_SONNET).destinations("us-east-1")
    assert "us-east-1" in str(info.value)
    assert "ap-northeast-1, ap-northeast-3" in str(info.value)


def test_profile_without_known_sources_says_so() -> None:
    # The built-in data has none since the 2026-12-04 revision (the crawl gave Opus 4.7 its sources).
    profile = Profile(id="us.x.m", name=None, model="x.m", geography="us", routes={})
    with pytest.raises(ScpFixError, match="not known"):
        profile.destinations("us-east-1")


# -- look-ups -------------------------------------------------------------------------------------


def test_get_by_profile_arn(catalog: Catalog) -> None:
    arn = f"arn:aws:bedrock:ap-northeast-1:111122223333:inference-profile/{JP_SONNET}"
    assert catalog.get(arn) is catalog.get(JP_SONNET)
    assert catalog.get(f"  {JP_SONNET}\n").id == JP_SONNET


def test_by_model_lists_every_serving_profile(catalog: Catalog) -> None:
    ids = {p.id for p in catalog.by_model(SONNET_MODEL)}
    assert {JP_SONNET, GLOBAL_SONNET, f"us.{SONNET_MODEL}", f"eu.{SONNET_MODEL}"} <= ids
    assert all(p.model == SONNET_MODEL for p in catalog.by_model(SONNET_MODEL))
    model_arn = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_MODEL}"
    assert catalog.by_model(model_arn) == catalog.by_model(SONNET_MODEL)
    assert catalog.by_model("no.such-model") == ()


def test_resolve(catalog: Catalog) -> None:
    assert catalog.resolve(JP_SONNET) == (catalog.get(JP_SONNET),)
    assert catalog.resolve(SONNET_MODEL) == catalog.by_model(SONNET_MODEL)
    arn = f"arn:aws:bedrock:ap-northeast-3:111122223333:inference-profile/{JP_SONNET}"
    assert catalog.resolve(arn) == (catalog.get(JP_SONNET),)
    with pytest.raises(ProfileNotFoundError, match="nearest known"):
        catalog.resolve("anthropic.claude-sonnet-4-5-20250929-v1")


def test_unknown_id_suggests_nearest(catalog: Catalog) -> None:
    with pytest.raises(ProfileNotFoundError) as info:
        catalog.get("jp.anthropic.claude-sonnet-4-5")  # the date cut off
    message = str(info.value)
    assert message.index(JP_SONNET) < message.index("jp.anthropic.claude-sonnet-4-6")
    with pytest.raises(ProfileNotFoundError) as info:
        catalog.get("jp.anthropic.claude-sonet-4-5-20250929-v1:0")  # a typo
    assert f"nearest known: {JP_SONNET}" in str(info.value)
    with pytest.raises(ProfileNotFoundError, match="profiles list"):
        catalog.get("zzz")


def test_model_id_given_as_profile_names_the_profiles(catalog: Catalog) -> None:
    with pytest.raises(ProfileNotFoundError) as info:
        catalog.get(SONNET_MODEL)
    assert "is a model id" in str(info.value) and JP_SONNET in str(info.value)
    with pytest.raises(ProfileNotFoundError, match="foundation model"):
        catalog.get(f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_MODEL}")
    with pytest.raises(ProfileNotFoundError, match="not a Bedrock inference profile ARN"):
        catalog.get("arn:aws:s3:::bucket")


def test_arn_in_uses_the_partition_of_the_source(catalog: Catalog) -> None:
    jp = catalog.get(JP_SONNET)
    assert jp.arn_in("ap-northeast-1", "111122223333") == (
        f"arn:aws:bedrock:ap-northeast-1:111122223333:inference-profile/{JP_SONNET}"
    )
    assert (
        jp.arn_in("ap-northeast-3")
        == f"arn:aws:bedrock:ap-northeast-3:*:inference-profile/{JP_SONNET}"
    )
    gov = catalog.get("us-gov.anthropic.claude-3-haiku-20240307-v1:0")
    assert gov.arn_in("us-gov-east-1").startswith("arn:aws-us-gov:bedrock:us-gov-east-1:")


def test_profiles_are_immutable_and_hashable(catalog: Catalog) -> None:
    profile = catalog.get(JP_SONNET)
    with pytest.raises(TypeError):
        profile.routes["us-east-1"] = ("us-east-1",)  # type: ignore[index]
    assert {profile, catalog.get(JP_SONNET)} == {profile}
    built = Profile(
        id="x.m", name=None, model="m", geography="us", routes={"us-east-1": ["us-east-1"]}
    )
    assert built.routes["us-east-1"] == ("us-east-1",)


def test_load_catalog_keeps_no_state() -> None:
    """Each call reads anew and returns its own object: nothing is cached between calls."""
    first, second = load_catalog(), load_catalog()
    assert first is not second and first.profiles == second.profiles
    import rewriter.catalog.loader as loader

    assert not [
        name for name, value in vars(loader).items() if isinstance(value, (dict, list, set)) and not name.startswith("__")
    ]


# -- user files -----------------------------------------------------------------------------------

USER_YAML = f"""\
- id: "{JP_SONNET}"
  name: "JP Sonnet 4.5, as our account sees it"
  model: "{SONNET_MODEL}"
  geography: jp
  routes:
    ap-northeast-1: [ap-northeast-1]
- id: "jp.example.new-model-v1:0"
  model: "example.new-model-v1:0"
  routes:
    ap-northeast-1: [ap-northeast-1, ap-northeast-3]
- arn: "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"
  name: "team-a sonnet"
  model: "{SONNET_MODEL}"
  routes:
    us-east-1: [us-east-1, us-east-2, us-west-2]
- id: "global.example.new-model-v1:0"
  model: "example.new-model-v1:0"
  routes:
    us-east-1: [ALL_COMMERCIAL, us-east-1]
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_user_file_overrides_and_extends(tmp_path: Path) -> None:
    builtin = load_catalog()
    catalog = load_catalog(write(tmp_path, "profiles.yaml", USER_YAML))
    assert catalog.files == (str(tmp_path / "profiles.yaml"),)
    assert len(catalog.profiles) == len(builtin.profiles) + 3  # one replaced, three new

    overridden = catalog.get(JP_SONNET)
    assert overridden.destinations("ap-northeast-1") == ("ap-northeast-1",)
    assert overridden.sources == ("ap-northeast-1",)  # replaced as a whole
    assert overridden.origin.endswith("profiles.yaml")
    assert builtin.get(JP_SONNET).sources == ("ap-northeast-1", "ap-northeast-3")  # untouched

    new = catalog.get("jp.example.new-model-v1:0")
    assert new.geography == "jp"  # from the id prefix
    assert new.destinations("ap-northeast-1") == ("ap-northeast-1", "ap-northeast-3")

    glob = catalog.get("global.example.new-model-v1:0")
    assert glob.is_global and glob.destinations("us-east-1") == ("us-east-1",)


def test_open_geography_set(tmp_path: Path) -> None:
    """A prefix scp-fix has not seen is a geography like the others, accepted with a note."""
    text = (
        '- id: "mx.example.new-model-v1:0"\n  model: "example.new-model-v1:0"\n'
        "  routes:\n    mx-central-1: [mx-central-1, us-east-1]\n"
        '- id: "in.example.new-model-v1:0"\n  model: "example.new-model-v1:0"\n'
        "  routes:\n    ap-south-1: [ap-south-1, ap-south-2]\n"
    )
    catalog = load_catalog(write(tmp_path, "geo.yaml", text))
    new = catalog.get("mx.example.new-model-v1:0")
    assert new.geography == "mx"
    assert new.destinations("mx-central-1") == ("mx-central-1", "us-east-1")
    assert any("'mx' is new to scp-fix" in note for note in new.notes)
    india = catalog.get("in.example.new-model-v1:0")
    assert india.geography == "in" and india.notes == ()  # 'in' is known since 2026-12


def test_application_profile(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, "profiles.yml", USER_YAML))
    arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"
    profile = catalog.get(arn)
    assert profile.kind == "application"
    assert profile.id == "abc123"
    assert profile.geography == "custom"
    assert profile.arn_in("us-east-1") == arn
    assert profile.destinations("us-east-1") == ("us-east-1", "us-east-2", "us-west-2")
    assert profile in catalog.by_model(SONNET_MODEL)
    with pytest.raises(ProfileNotFoundError, match="lives in us-east-1"):
        profile.arn_in("us-west-2")
    with pytest.raises(ProfileNotFoundError, match="--profiles-file"):
        catalog.get(arn.replace("abc123", "other"))


def test_user_file_in_json_and_in_data_file_shape(tmp_path: Path) -> None:
    document = {
        "data_date": "2026-01-01",
        "profiles": [
            {
                "id": "eu.example.m-v1:0",
                "model": "example.m-v1:0",
                "geography": "eu",
                "routes": {"eu-west-1": ["eu-west-1", "eu-central-1"]},
            }
        ],
    }
    catalog = load_catalog(write(tmp_path, "p.json", json.dumps(document)))
    assert catalog.get("eu.example.m-v1:0").destinations("eu-west-1") == (
        "eu-central-1",
        "eu-west-1",
    )


def test_to_dict_round_trips_through_a_user_file(tmp_path: Path, catalog: Catalog) -> None:
    chosen = [catalog.get(JP_SONNET), catalog.get(GLOBAL_SONNET), catalog.get(f"us.{SONNET_MODEL}")]
    path = write(tmp_path, "round.json", json.dumps([p.to_dict() for p in chosen]))
    again = load_catalog(path)
    for profile in chosen:
        reread = again.get(profile.id)
        assert (reread.routes, reread.name, reread.notes, reread.unconfirmed_routes) == (
            profile.routes,
            profile.name,
            profile.notes,
            profile.unconfirmed_routes,
        )


def test_a_changed_user_file_is_read_anew(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", USER_YAML)
    assert load_catalog(path).get(JP_SONNET).destinations("ap-northeast-1") == ("ap-northeast-1",)
    Path(path).write_text(
        USER_YAML.replace("[ap-northeast-1]\n", "[ap-northeast-1, ap-northeast-3]\n")
    )
    os.utime(path, ns=(1, 1))  # the same size and an old mtime: nothing may key on them
    assert load_catalog(path).get(JP_SONNET).sources == ("ap-northeast-1",)
    assert load_catalog(path).get(JP_SONNET).destinations("ap-northeast-1") == (
        "ap-northeast-1",
        "ap-northeast-3",
    )


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        # not even shaped like a Region code: located on the line of the source key
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes:\n    useast1: [us-east-1]\n',
            4,
            "source Region 'useast1' is not an AWS Region code",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes:\n    us-east-1: [us-east-1, US-EAST-2]\n',
            4,
            "'US-EAST-2' is not an AWS Region code",
        ),
        ('- id: "us.x.m-v1:0"\n  routes:\n    us-east-1: [us-east-1]\n', 1, "'model' is required"),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  rutes:\n    us-east-1: [us-east-1]\n',
            3,
            "unknown key 'rutes'",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: [all-commercial]}\n',
            3,
            "only valid for a global profile",
        ),
        (
            '- id: "xm-v1:0"\n  model: "xm-v1:0"\n  routes: {us-east-1: [us-east-1]}\n',
            1,
            "'geography' is required",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  geography: Mars!\n  routes: {us-east-1: [us-east-1]}\n',
            3,
            "'geography' must be a lower-case prefix",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  lifecycle: retired\n  routes: {us-east-1: [us-east-1]}\n',
            3,
            "'lifecycle' must be one of active, legacy, end-of-life",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n  end_of_life: May 2026\n',
            4,
            "'end_of_life' must be a date YYYY-MM-DD, not 'May 2026'",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n  notes: {a: 1}\n',
            4,
            "'notes' must be a list or a string",
        ),
        (
            '- arn: "arn:aws:bedrock:us-east-1:1111:application-inference-profile/a"\n'
            '  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n',
            1,
            "'arn' must be arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>",
        ),
        ("- 3\n", 1, "a profile entry must be a mapping"),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: []}\n',
            3,
            "non-empty list",
        ),
        (
            '- arn: "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a"\n'
            '  model: "x.m-v1:0"\n  routes:\n    us-west-2: [us-west-2]\n',
            4,
            "cannot have source us-west-2",
        ),
        (
            '- kind: application\n  id: a\n  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n',
            1,
            "needs its 'arn'",
        ),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  model: "y"\n  routes: {}\n',
            3,
            "duplicate key 'model'",
        ),
        ('- id: "us.x.m-v1:0"\n  model: [unclosed\n', 3, "not valid YAML"),
        (
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n'
            '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes: {us-east-1: [us-east-1]}\n',
            4,
            "duplicate profile us.x.m-v1:0",
        ),
    ],
)
def test_malformed_user_file(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    error = info.value
    assert error.path == path
    assert error.line == line, str(error)
    assert fragment in str(error)
    assert str(error).startswith(f"{path}:{line}:")


def test_unknown_region_codes_are_located_warnings(tmp_path: Path) -> None:
    """A code shaped like a Region but unknown (a typo, or a Region newer than scp-fix) loads as
    written, with a located warning naming the nearest known code."""
    text = (
        '- id: "us.x.m-v1:0"\n  model: "x.m-v1:0"\n  routes:\n'
        "    us-east-1: [us-east-1, us-est-2]\n"
        "    us-east-9: [us-east-1]\n"
    )
    path = write(tmp_path, "typo.yaml", text)
    catalog = load_catalog(path)
    assert catalog.get("us.x.m-v1:0").destinations("us-east-1") == ("us-east-1", "us-est-2")
    typo, new = catalog.warnings
    # 'us-est-2' is one letter from us-east-2 and from us-west-2 alike; either is a fair hint.
    assert typo.startswith(f"{path}:4:28: profile 0 (us.x.m-v1:0): destination Region 'us-est-2' is not a Region")
    assert "(nearest known: us-" in typo and "used as written" in typo
    assert new.startswith(f"{path}:5:5: profile 0 (us.x.m-v1:0): source Region 'us-east-9' is not a Region")
    assert "(nearest known: us-east-" in new
    assert load_catalog().warnings == ()


def test_malformed_entry_names_the_entry(tmp_path: Path) -> None:
    text = '- id: "us.ok.m-v1:0"\n  model: "ok"\n  routes: {us-east-1: [us-east-1]}\n- id: "us.bad.m-v1:0"\n  routes: {}\n'
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, "bad.yaml", text))
    assert "profile 1 (us.bad.m-v1:0)" in str(info.value)
    assert info.value.pointer == "/1/model"


@pytest.mark.parametrize(
    ("name", "text", "fragment", "line"),
    [
        ("bad.json", '[{"id": "us.x.m-v1:0",\n "model": }]', "not valid JSON", 2),
        ("bad.json", '[{"id": "a", "id": "b"}]', 'duplicate key "id"', 1),
        ("bad.yaml", "profiles: 3\n", "expected a list of profiles", None),
        ("bad.yaml", "just text\n", "expected a list of profiles", None),
    ],
)
def test_malformed_file_shapes(
    tmp_path: Path, name: str, text: str, fragment: str, line: int | None
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert fragment in str(info.value)
    assert info.value.path == path
    assert info.value.line == line


def test_missing_user_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(str(tmp_path / "missing.yaml"))


# -- Region data ----------------------------------------------------------------------------------


def test_region_data() -> None:
    for code in (
        "ap-southeast-6",
        "mx-central-1",
        "ap-east-2",
        "ca-west-1",
        "ap-northeast-3",
        "us-east-1",
    ):
        assert code in COMMERCIAL_REGIONS and is_region_code(code)
    assert GOVCLOUD == ("us-gov-east-1", "us-gov-west-1")
    assert CHINA == ("cn-north-1", "cn-northwest-1")
    assert not set(GOVCLOUD) & set(COMMERCIAL_REGIONS)
    for not_a_region in ("unspecified", "us-east-9", "US-EAST-1", "", "*"):
        assert not is_region_code(not_a_region)
    assert partition_of("us-gov-west-1") == "aws-us-gov"
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("eu-west-1") == "aws"
    assert partition_of("eusc-de-east-1") == "aws-eusc"  # the AWS European Sovereign Cloud
