"""Instance-metadata detection against a real local HTTP server faking each cloud's endpoint."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from wattlens import location
from wattlens.impacts import measured_impacts
from wattlens.location import Detected, detect_from_metadata

TOKEN = "AQAEAFake-token=="


class _Fake(BaseHTTPRequestHandler):
    """AWS IMDSv2, GCP and Azure metadata, each only where ``clouds`` says so."""

    clouds: ClassVar[set[str]] = set()
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:
        self.requests.append(f"PUT {self.path}")
        if (
            "aws" in self.clouds
            and self.path == "/latest/api/token"
            and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        ):
            self._send(200, TOKEN)
        else:
            self._send(404, "not found")

    def do_GET(self) -> None:
        self.requests.append(f"GET {self.path}")
        if "aws" in self.clouds and self.path == "/latest/meta-data/placement/region":
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                self._send(401, "")
            else:
                self._send(200, "eu-west-3")
        elif "gcp" in self.clouds and self.path == "/computeMetadata/v1/instance/zone":
            if self.headers.get("Metadata-Flavor") != "Google":
                self._send(403, "Missing Metadata-Flavor:Google header.")
            else:
                self._send(200, "projects/123456789/zones/europe-west4-a",
                           {"Metadata-Flavor": "Google"})  # fmt: skip
        elif "azure" in self.clouds and self.path.startswith("/metadata/instance/compute/location"):
            if self.headers.get("Metadata") != "true" or "api-version=" not in self.path:
                self._send(400, "Bad request")
            else:
                self._send(200, "uksouth")
        else:
            self._send(404, "not found")


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Fake.requests = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _no_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(location, "_metadata_memo", {})


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        ("aws", Detected("aws", "eu-west-3", "AWS instance metadata (IMDSv2)")),
        ("gcp", Detected("gcp", "europe-west4", "GCP instance metadata (zone europe-west4-a)")),
        ("azure", Detected("azure", "uksouth", "Azure instance metadata")),
    ],
)
def test_each_cloud_is_read_from_its_endpoint(
    server: str, monkeypatch: pytest.MonkeyPatch, cloud: str, expected: Detected
) -> None:
    monkeypatch.setattr(_Fake, "clouds", {cloud})
    # All three asked at the one address, as on a real instance (169.254.169.254).
    assert detect_from_metadata(dict.fromkeys(("aws", "gcp", "azure"), server)) == expected


def test_aws_uses_the_imdsv2_token(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Fake, "clouds", {"aws"})
    detect_from_metadata({"aws": server})
    assert _Fake.requests == ["PUT /latest/api/token", "GET /latest/meta-data/placement/region"]


def test_no_cloud_answers_none_and_the_answer_is_kept(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Fake, "clouds", set())
    bases = dict.fromkeys(("aws", "gcp", "azure"), server)
    assert detect_from_metadata(bases) is None
    asked = len(_Fake.requests)
    assert asked == 3
    assert detect_from_metadata(bases) is None
    assert len(_Fake.requests) == asked  # once per process


def test_an_endpoint_that_never_answers_gives_up_at_the_timeout() -> None:
    # Accepts the connection (the kernel's backlog) but never replies.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        assert detect_from_metadata({"aws": base, "gcp": base}, timeout_s=0.2) is None


def test_a_gcp_answer_without_the_flavor_header_is_not_trusted(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Something else at that address answering 200 to any path must not count as GCP.
    def lenient(self: _Fake) -> None:
        self._send(200, "projects/1/zones/us-central1-b")

    monkeypatch.setattr(_Fake, "do_GET", lenient)
    assert detect_from_metadata({"gcp": server}) is None


def test_metadata_is_asked_only_when_switched_on(
    server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_Fake, "clouds", {"gcp"})
    monkeypatch.setattr(location, "METADATA_BASES", {"gcp": server})
    monkeypatch.setattr(location, "_hinted", type(location._hinted)())
    monkeypatch.chdir(tmp_path)
    assert measured_impacts(1.0)["location"]["origin"] == "default"
    assert _Fake.requests == []
    monkeypatch.setenv("WATTLENS_DETECT_METADATA", "1")
    place = measured_impacts(1.0)["location"]
    assert (place["origin"], place["region_id"], place["grid_id"]) == (
        "detected",
        "gcp-europe-west4",
        "nl",
    )
    assert place["origin_detail"] == "GCP instance metadata (zone europe-west4-a)"
