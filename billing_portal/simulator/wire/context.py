"""Per-request context handed to every handler."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from billing_portal.simulator.state import SimulatorState

API, TELEMETRY, CATALOG, CONTROL = "api", "telemetry", "catalog", "control"


def realm_of(path: str) -> str:
    if path.startswith("/v2/metrics/"):
        return TELEMETRY
    if path.startswith(("/catalog/", "/catalog-sr/")):
        return CATALOG
    if path.startswith("/_simulator/"):
        return CONTROL
    return API


def family_of(path: str, realm: str) -> str:
    if realm == TELEMETRY:
        return "metrics"
    if realm == CATALOG:
        return "catalog"
    return path.strip("/").split("/", 1)[0]


@dataclass
class RequestContext:
    request: Request
    state: SimulatorState
    request_id: str
    realm: str
    family: str
    restricted: object | None = None  # the RestrictedKey that authenticated the request, if any
    key_id: str | None = None

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def model(self):
        return self.state.model

    @property
    def registry_id(self) -> str | None:
        """The Schema Registry of a catalog request (`/catalog-sr/{lsrc}/…`; None for the root catalog)."""
        if self.path.startswith("/catalog-sr/"):
            return self.path.split("/")[2] or None
        return None

    @property
    def view(self):
        """The org's object lists as of the simulator's clock (churn objects alive now, owners as renamed now)."""
        return self.state.model.at(self.state.clock())

    @property
    def base_url(self) -> str:
        """The simulator's own base URL as the client reached it (or the configured public URL)."""
        if self.state.config.public_url:
            return self.state.config.public_url.rstrip("/")
        return f"{self.request.scheme}://{self.request.host}"

    def url(self, path: str, params: list[tuple[str, str]] | None = None) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"

    def url_with(self, **overrides: str | None) -> str:
        """This request's URL with some query parameters replaced (None removes); order of the others kept."""
        params = [(k, v) for k, v in self.request.args.items(multi=True) if k not in overrides]
        params += [(k, v) for k, v in overrides.items() if v is not None]
        return self.url(self.path, params)
