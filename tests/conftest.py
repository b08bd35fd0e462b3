"""Shared test settings: the hypothesis profiles (``quick`` for the quick loop, ``ci`` for the whole
suite, ``fuzz`` for long runs) and what every test may take for granted.

Test modules do not import from here: tests/org has a conftest of its own, and the two would clash
as the module ``conftest``. Each test module names its own paths.
"""

from __future__ import annotations

import os
from hypothesis import HealthCheck, settings

settings.register_profile("quick", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """The quick loop (``-m "not slow"``) draws fewer examples unless HYPOTHESIS_PROFILE names a
    profile; the whole suite (CI) keeps ``ci``. Test modules read the profile when they are imported,
    which is after this."""
    if "HYPOTHESIS_PROFILE" not in os.environ and "not slow" in (config.option.markexpr or ""):
        settings.load_profile("quick")


@pytest.hookimpl(tryfirst=True)  # before -m chooses
def pytest_collection_modifyitems(items):
    """An integration test is slow too, so `-m "not slow"` leaves every outside tool and service out."""
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def _one_click_command_per_app():
    """typer's CliRunner builds the click command of a whole app on every invoke (~15 ms: every
    command's signature and type hints), about 900 times a run. A click command is made to be invoked
    again and again, and scp-fix builds its own once per process, so each app's is built once here."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None:  # another typer: every invoke builds its command, as published
        yield
        return
    built: dict[object, object] = {}

    def command_of(app):
        if app not in built:
            built[app] = build(app)
        return built[app]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", command_of)
        yield


@pytest.fixture(autouse=True, scope="session")
def _no_user_catalog(tmp_path_factory: pytest.TempPathFactory):
    """No test sees the developer's synced catalog ($XDG_DATA_HOME/scp-fix/profiles.json): every
    command would use it over the built-in one. Tests that want one set XDG_DATA_HOME themselves."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data-home")))
        yield


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    """Tests read English unless they ask for another language: a developer's LANG=ja_JP must not
    turn every text assertion Japanese."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
