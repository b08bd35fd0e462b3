"""moto's server as a real HTTP endpoint on loopback, started once for the org tests and stopped after.

Each test gets a fresh server state (moto's reset API) and an Organizations client pointed at it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from org_builder import reset

pytest.importorskip("moto.server", reason="moto[server] is not installed (pip install 'moto[server]')")
pytest.importorskip("boto3")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"moto server exited with code {process.returncode}")
                if time.monotonic() > deadline:
                    pytest.fail("moto server did not start within 30 seconds")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session", autouse=True)
def aws_environment():
    """Fake credentials for every org test (the CLI reads them from the environment), no user config."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        yield


@pytest.fixture()
def endpoint(moto_endpoint):
    """The server with no organization in it."""
    reset(moto_endpoint)
    return moto_endpoint


@pytest.fixture()
def org_client(endpoint):
    from rewriter.org.live import make_client

    return make_client(endpoint_url=endpoint)
