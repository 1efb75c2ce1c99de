"""Where the energy is used when no location is given, and how that was decided.

Precedence, first found wins:

1. ``given``: ``--location`` on the command line or ``location=`` in Python;
2. ``env``: ``WATTLENS_LOCATION``;
3. ``project``: the nearest ``wattlens.toml`` / ``[tool.wattlens]`` of a pyproject.toml;
4. ``user``: the user config file (``wattlens config set location DE``);
5. ``detected``: the cloud region, from variables the platform itself sets
   (see :func:`detect_from_env`) or, only when ``detect_metadata`` is on, from
   the instance-metadata endpoint (:func:`detect_from_metadata`);
6. ``default``: the world average, with a one-time hint on stderr.

A detected region becomes the catalog's region row (``aws-eu-west-1``), so the
grid is the one that row names: a data centre's grid zone where the catalog
has a sourced value for it, else the country average (the row's notes say
which; ``wattlens catalog show regions aws-eu-west-1``). A region the catalog
does not list falls back to the world average, and the hint says so.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    import urllib.request

    from wattlens.types import Place


class _HasPlace(Protocol):
    @property
    def place(self) -> Place: ...


_F = TypeVar("_F", bound=_HasPlace)

__all__ = [
    "DEFAULT_HINT",
    "Detected",
    "LocationChoice",
    "choose_location",
    "detect_from_env",
    "detect_from_metadata",
    "located_factors",
]

Origin = Literal["given", "env", "project", "user", "detected", "default"]

DEFAULT_NAME = "world"
DEFAULT_HINT = (
    "no location set, so carbon, water and cost use the world-average grid; "
    "set yours with --location DE, WATTLENS_LOCATION=DE or `wattlens config set location DE`"
)

#: Instance-metadata endpoints (link-local addresses: no DNS lookup to wait for).
#: GCP's metadata server answers on 169.254.169.254 as well as metadata.google.internal.
METADATA_BASES: dict[str, str] = {
    "aws": "http://169.254.169.254",
    "gcp": "http://169.254.169.254",
    "azure": "http://169.254.169.254",
}
METADATA_TIMEOUT_S = 0.3


@dataclass(frozen=True)
class LocationChoice:
    """A location name and where it came from (``detail``: the variable, file or evidence)."""

    name: str
    origin: Origin
    detail: str | None = None


@dataclass(frozen=True)
class Detected:
    """A cloud region found in the environment, and the evidence for it."""

    provider: Literal["aws", "gcp", "azure"]
    region: str
    evidence: str

    @property
    def location(self) -> str:
        """The catalog's region row id (``aws-us-east-1``)."""
        return f"{self.provider}-{self.region}"


# -- detection from the environment ----------------------------------------------------------------
def detect_from_env(environ: Mapping[str, str] | None = None) -> Detected | None:
    """The cloud region from variables that the platform sets, where they are reliable.

    - AWS: ``AWS_REGION`` (else ``AWS_DEFAULT_REGION``), trusted only together with
      ``AWS_EXECUTION_ENV``, which AWS's own runtimes set (Lambda: "The AWS Region
      where the Lambda function is executed", AWS Lambda developer guide, defined
      runtime environment variables). On a workstation ``AWS_REGION`` only says
      which region the AWS CLI talks to, not where the code runs, so alone it is
      not used.
    - Azure App Service and Functions: ``REGION_NAME`` (read-only, "the region
      name of the app", Azure App Service environment variables reference),
      trusted together with ``WEBSITE_SITE_NAME``; a display name such as
      "West Europe" becomes ``westeurope`` (spaces dropped, lower case).
    - GCP (Cloud Run, GKE) and Kubernetes set no region variable: use the
      metadata endpoint (``detect_metadata``) or set ``WATTLENS_LOCATION`` in
      the pod or service spec.
    """
    env = os.environ if environ is None else environ
    execution = env.get("AWS_EXECUTION_ENV", "").strip()
    if execution:
        for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            region = env.get(var, "").strip().lower()
            if region:
                return Detected("aws", region, f"{var} (AWS_EXECUTION_ENV={execution})")
    site = env.get("WEBSITE_SITE_NAME", "").strip()
    region_name = env.get("REGION_NAME", "").strip()
    if site and region_name:
        return Detected(
            "azure", region_name.replace(" ", "").lower(), "REGION_NAME (Azure App Service)"
        )
    return None


# -- detection from instance metadata (opt-in) ----------------------------------------------------
def _opener() -> urllib.request.OpenerDirector:
    import urllib.request

    # A proxy from the environment must not see (or delay) link-local metadata requests.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _fetch(
    url: str, headers: dict[str, str], timeout_s: float, method: str = "GET"
) -> tuple[str, dict[str, str]] | None:
    import urllib.request

    request = urllib.request.Request(url, headers=headers, method=method)
    opener = _opener()
    try:
        with opener.open(request, timeout=timeout_s) as response:
            body = response.read(4096).decode("utf-8", "replace").strip()
            return body, {k.lower(): v for k, v in response.headers.items()}
    except (OSError, ValueError):
        # Unreachable, refused, timed out or an HTTP error: not this cloud.
        return None


def _aws(base: str, timeout_s: float) -> Detected | None:
    # IMDSv2: a session token first (PUT), then the region with it.
    token = _fetch(
        f"{base}/latest/api/token",
        {"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        timeout_s,
        method="PUT",
    )
    if token is None or not token[0]:
        return None
    got = _fetch(
        f"{base}/latest/meta-data/placement/region",
        {"X-aws-ec2-metadata-token": token[0]},
        timeout_s,
    )
    if got is None or not _plausible(got[0]):
        return None
    return Detected("aws", got[0].lower(), "AWS instance metadata (IMDSv2)")


def _gcp(base: str, timeout_s: float) -> Detected | None:
    got = _fetch(
        f"{base}/computeMetadata/v1/instance/zone", {"Metadata-Flavor": "Google"}, timeout_s
    )
    if got is None or got[1].get("metadata-flavor") != "Google":
        return None
    # "projects/123456789/zones/us-central1-a": the region is the zone less its letter.
    zone = got[0].rsplit("/", 1)[-1]
    region = zone.rsplit("-", 1)[0] if zone.count("-") >= 2 else ""
    if not _plausible(region):
        return None
    return Detected("gcp", region.lower(), f"GCP instance metadata (zone {zone})")


def _azure(base: str, timeout_s: float) -> Detected | None:
    got = _fetch(
        f"{base}/metadata/instance/compute/location?api-version=2021-02-01&format=text",
        {"Metadata": "true"},
        timeout_s,
    )
    if got is None or not _plausible(got[0]):
        return None
    return Detected("azure", got[0].replace(" ", "").lower(), "Azure instance metadata")


def _plausible(region: str) -> bool:
    return 0 < len(region) <= 40 and all(c.isalnum() or c in "- " for c in region)


_metadata_memo: dict[tuple[tuple[str, str], ...], Detected | None] = {}
_memo_lock = threading.Lock()


def detect_from_metadata(
    bases: Mapping[str, str] | None = None, timeout_s: float = METADATA_TIMEOUT_S
) -> Detected | None:
    """The region from the instance-metadata endpoint of AWS, GCP or Azure.

    The three are asked at once, each with a ``timeout_s`` limit, so off-cloud
    this costs about ``timeout_s`` once per process (the answer is kept).
    """
    from concurrent.futures import ThreadPoolExecutor

    where = dict(METADATA_BASES if bases is None else bases)
    memo_key = tuple(sorted(where.items()))
    with _memo_lock:
        if memo_key in _metadata_memo:
            return _metadata_memo[memo_key]
    asks = {"aws": _aws, "gcp": _gcp, "azure": _azure}
    with ThreadPoolExecutor(max_workers=len(where)) as pool:
        futures = [
            pool.submit(asks[provider], base.rstrip("/"), timeout_s)
            for provider, base in where.items()
            if provider in asks
        ]
        found = next((d for d in (f.result() for f in futures) if d is not None), None)
    with _memo_lock:
        _metadata_memo[memo_key] = found
    return found


# -- the choice -----------------------------------------------------------------------------------
def choose_location(
    given: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    metadata: bool | None = None,
) -> LocationChoice:
    """Which location to use, and why (precedence in the module docstring).

    ``metadata`` overrides the ``detect_metadata`` setting.

    Raises:
        ConfigError: a config file or variable consulted is malformed.
    """
    from wattlens import config

    if given:
        return LocationChoice(given, "given")
    setting = config.lookup("location", environ=environ, cwd=cwd)
    if setting is not None:
        return LocationChoice(str(setting.value), setting.origin, setting.where)
    found = detect_from_env(environ)
    if found is None:
        if metadata is None:
            flag = config.lookup("detect_metadata", environ=environ, cwd=cwd)
            metadata = bool(flag.value) if flag is not None else False
        if metadata:
            found = detect_from_metadata()
    if found is not None:
        return LocationChoice(found.location, "detected", found.evidence)
    return LocationChoice(DEFAULT_NAME, "default")


_hinted = threading.Event()
_hint_lock = threading.Lock()


def hint_default(reason: str | None = None) -> None:
    """Say once per process, on stderr, that the world average stands in for the location."""
    with _hint_lock:
        if _hinted.is_set():
            return
        _hinted.set()
    text = DEFAULT_HINT if reason is None else f"{reason}; {DEFAULT_HINT}"
    try:
        sys.stderr.write(f"hint: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def located_factors(
    location: str | None, read: Callable[[str], _F], *, choice: LocationChoice | None = None
) -> _F:
    """``read`` (the factors of a named place) at ``location`` (None: chosen as above),
    with the place saying where the name came from (``origin``, ``origin_detail``).

    Raises:
        UnknownNameError, AmbiguousNameError: a given location is not in the catalog.
        UsageError: a configured one is not (the message names the variable or file).
    """
    from wattlens.errors import AmbiguousNameError, UnknownNameError, UsageError

    choice = choice or choose_location(location)
    try:
        factors = read(choice.name)
    except (UnknownNameError, AmbiguousNameError) as exc:
        if choice.origin == "given":
            raise
        if choice.origin != "detected":
            raise UsageError(
                f"{exc.message}, set by {choice.detail}",
                hint=f"{exc.hint}; change or unset it (`wattlens config list` shows every setting)",
            ) from None
        reason = f"detected cloud region {choice.name!r} ({choice.detail}) is not in the catalog"
        choice = LocationChoice(DEFAULT_NAME, "default", reason)
        factors = read(DEFAULT_NAME)
    if choice.origin == "default":
        hint_default(choice.detail)
    place = replace(factors.place, origin=choice.origin, origin_detail=choice.detail)
    out: Any = replace(factors, place=place)  # type: ignore[type-var]
    return out  # type: ignore[no-any-return]
