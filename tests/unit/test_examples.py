"""The deployment examples (examples/), checked offline: the Compose file against the Compose Specification's
schema, the Kubernetes manifest against Kubernetes' schemas, nginx.conf with an nginx configuration parser, and
every replica's arguments with mockapi's own command line. Each check is also shown failing on a broken copy."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import crossplane
import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import ValidationError

from mockapi.cli import build_parser, settings_from
from mockapi.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
COMPOSE_FILE = EXAMPLES / "compose.yaml"
NGINX_CONF = EXAMPLES / "nginx.conf"
MANIFEST = EXAMPLES / "kubernetes" / "mockapi.yaml"
# The Compose Specification's schema, copied into the repository (tests/data/README.md says from where).
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"

STATE_URL = "redis://redis:6379/0"
SHARED = Path("/shared")
PORT = 8000
# The Kubernetes versions the manifest is checked against: the oldest meant, and the newest the package bundles.
KUBERNETES_VERSIONS = ("1.30", str(kubernetes_validate.latest_version()))

Doc = dict[str, Any]


def _mapping(value: Any) -> Doc:
    assert isinstance(value, dict), value
    return value


def _strings(value: Any) -> list[str]:
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), value
    return value


def only(items: Iterable[Any], what: str) -> Any:
    """The one item, which must be there and be alone."""
    found = list(items)
    assert len(found) == 1, f"{len(found)} {what}: {found}"
    return found[0]


def replica_settings(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """What `argv` (a container's whole command) serves with: mockapi's own parser, then its Settings."""
    assert argv[0] == "mockapi", argv
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"
    return settings_from(args, environ)


def assert_replica_settings(settings: Settings, control_token: str) -> None:
    assert settings.state_url == STATE_URL
    assert settings.data_dir == SHARED
    assert (settings.host, settings.port) == ("0.0.0.0", PORT)
    assert settings.control_token == control_token


# Compose


# ${NAME}, ${NAME:-default} and $$ (a `$`): the forms the example uses; any other `$` fails the test rather than
# being read otherwise than Compose reads it.
_COMPOSE_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})?")


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's interpolation of the values (not the keys) of a file, with `environ` as the shell."""
    if isinstance(value, dict):
        return {key: interpolate(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environ) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        assert match["name"], f"an interpolation this test does not read: {value!r}"
        found = environ.get(match["name"], "")
        # ${NAME:-default}: the default when NAME is unset or empty.
        return match["default"] if match["default"] is not None and not found else found

    return _COMPOSE_VARIABLE.sub(substitute, value)


def load_compose(environ: Mapping[str, str] | None = None) -> Doc:
    return _mapping(interpolate(yaml.safe_load(COMPOSE_FILE.read_text()), environ or {}))


def compose_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def mockapi_services(compose: Doc) -> dict[str, Doc]:
    """The services that run mockapi: those built from the repository's Dockerfile."""
    services = _mapping(compose["services"])
    return {name: _mapping(service) for name, service in services.items() if "build" in service}


def service_environ(service: Doc) -> dict[str, str]:
    """The variables a service sets in its containers (`environment`, as a mapping or as NAME=VALUE items)."""
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def check_compose(compose: Doc, control_token: str) -> None:
    services = _mapping(compose["services"])
    replicas = mockapi_services(compose)
    assert sum(service.get("deploy", {}).get("replicas", 1) for service in replicas.values()) == 2
    redis = _mapping(services["redis"])
    assert redis["image"] == "redis:7-alpine"
    assert _strings(redis["healthcheck"]["test"])[1:] == ["redis-cli", "ping"]
    for name, service in replicas.items():
        build = _mapping(service["build"])
        assert (EXAMPLES / build["context"]).resolve() == ROOT, name
        assert (ROOT / build.get("dockerfile", "Dockerfile")).is_file(), name
        settings = replica_settings(_strings(service["command"]), service_environ(service))
        assert_replica_settings(settings, control_token)
        # The Redis of the state URL is the compose service, which each replica waits for.
        assert urlsplit(settings.state_url).hostname in services, name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        # The shared named volume at the data directory.
        assert f"shared:{settings.data_dir}" in service["volumes"], name
        assert "/health" in " ".join(_strings(service["healthcheck"]["test"])), name
    assert "shared" in compose["volumes"]
    # The load balancer waits for every replica, and serves on host port 8000.
    lb = only((service for service in services.values() if str(service.get("image")).startswith("nginx:")), "nginx")
    assert lb["image"] == "nginx:1.27-alpine"
    assert set(lb["depends_on"]) == set(replicas)
    assert all(lb["depends_on"][name]["condition"] == "service_healthy" for name in replicas)
    assert f"{PORT}:{PORT}" in lb["ports"]
    source, target, *options = only(lb["volumes"], "volume of the load balancer").split(":")
    assert ((EXAMPLES / source).resolve(), target, options) == (NGINX_CONF, "/etc/nginx/nginx.conf", ["ro"])


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    validator = compose_validator()
    validator.validate(load_compose())
    validator.validate(load_compose({"MOCKAPI_CONTROL_TOKEN": "sk-control"}))


@pytest.mark.parametrize(
    "breaks",
    [
        lambda doc: doc["services"]["mockapi-1"].update(bulid=".."),
        lambda doc: doc["services"]["lb"]["depends_on"]["mockapi-1"].update(condition="service_ready"),
        lambda doc: doc["services"]["redis"]["healthcheck"].update(interval=5),
        lambda doc: doc["volumes"].update(shared=["/shared"]),
    ],
    ids=["misspelt-key", "unknown-condition", "interval-not-a-duration", "volume-not-a-mapping"],
)
def test_a_broken_compose_file_fails_the_schema(breaks: Callable[[Doc], None]) -> None:
    broken = copy.deepcopy(load_compose())
    breaks(broken)
    with pytest.raises(jsonschema.ValidationError):
        compose_validator().validate(broken)


def test_two_replicas_share_redis_and_the_volume_behind_the_load_balancer() -> None:
    check_compose(load_compose(), control_token="change-me")
    # The token from the shell, as `docker compose` interpolates it.
    check_compose(load_compose({"MOCKAPI_CONTROL_TOKEN": "sk-control"}), control_token="sk-control")


def _command_without(service: Doc, flag: str) -> None:
    command = _strings(service["command"])
    index = command.index(flag)
    del command[index : index + 2]


@pytest.mark.parametrize(
    ("breaks", "error"),
    [
        (lambda doc: doc["services"].pop("mockapi-2"), AssertionError),
        (lambda doc: doc["services"]["mockapi-1"].update(deploy={"replicas": 2}), AssertionError),
        (lambda doc: doc["services"]["lb"]["depends_on"].pop("mockapi-2"), AssertionError),
        (lambda doc: doc["services"]["mockapi-2"]["command"].append("--state-dir"), SystemExit),
        (lambda doc: _command_without(doc["services"]["mockapi-1"], "--data-dir"), ValidationError),
        (lambda doc: _command_without(doc["services"]["mockapi-2"], "--state-url"), AssertionError),
        (lambda doc: doc["services"]["mockapi-1"].update(volumes=["shared:/data"]), AssertionError),
        (lambda doc: doc["services"]["lb"].update(volumes=["./nginx.conf:/etc/nginx/nginx.conf"]), AssertionError),
    ],
    ids=[
        "one-replica",
        "three-replicas",
        "lb-misses-a-replica",
        "unknown-flag",
        "state-url-without-data-dir",
        "no-state-url",
        "volume-elsewhere",
        "config-writable",
    ],
)
def test_the_compose_checks_fail_on_a_broken_copy(breaks: Callable[[Doc], None], error: type[Exception]) -> None:
    broken = copy.deepcopy(load_compose())
    breaks(broken)
    with pytest.raises(error):
        check_compose(broken, control_token="change-me")


# nginx


def parse_nginx(path: Path) -> list[Doc]:
    """The configuration's directives, once nginx's own rules pass: every directive known, in a context that
    allows it, with as many arguments as it takes."""
    payload = crossplane.parse(str(path), strict=True, check_ctx=True, check_args=True)
    assert payload["errors"] == [], payload["errors"]
    assert payload["status"] == "ok"
    parsed: list[Doc] = only(payload["config"], "file")["parsed"]
    return parsed


def directives(block: list[Doc], name: str) -> list[Doc]:
    """Every `name` directive in the block, at any depth."""
    found = []
    for directive in block:
        if directive["directive"] == name:
            found.append(directive)
        found += directives(directive.get("block", []), name)
    return found


def _seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    match = re.fullmatch(r"(\d+)(ms|s|m|h|d)?", value)
    assert match, value
    return int(match[1]) * units[match[2] or "s"]


def check_nginx(conf: list[Doc], compose: Doc) -> None:
    http = only(directives(conf, "http"), "http blocks")
    location = only(directives(http["block"], "location"), "locations")

    def value(name: str) -> list[str]:
        return _strings(only(directives(location["block"], name), name)["args"])

    # proxy_pass names the upstream, whose servers are the replicas by their compose service names.
    proxied = only(value("proxy_pass"), "proxy_pass arguments")
    upstreams = directives(http["block"], "upstream")
    upstream = only((block for block in upstreams if f"http://{block['args'][0]}" == proxied), f"upstreams {proxied}")
    servers = [directive["args"][0].rpartition(":") for directive in directives(upstream["block"], "server")]
    assert sorted(host for host, _, _ in servers) == sorted(mockapi_services(compose))
    assert {int(port) for _, _, port in servers} == {PORT}
    # The port the load balancer's container publishes.
    assert [directive["args"] for directive in directives(http["block"], "listen")] == [[str(PORT)]]
    # Server-sent events go through unbuffered, on HTTP/1.1, and a long stream is not cut.
    assert value("proxy_buffering") == ["off"]
    assert value("proxy_http_version") == ["1.1"]
    assert _seconds(value("proxy_read_timeout")[0]) >= 600


def test_nginx_conf_parses_and_proxies_to_the_replicas_unbuffered() -> None:
    check_nginx(parse_nginx(NGINX_CONF), load_compose())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("proxy_buffering off;", "proxy_bufering off;"),
        ("proxy_buffering off;", "proxy_buffering off"),
        ("proxy_http_version 1.1;", "proxy_http_version 1.1 2;"),
        ("worker_processes auto;", "worker_processes auto;\nproxy_buffering off;"),
    ],
    ids=["unknown-directive", "unterminated", "arguments", "out-of-context"],
)
def test_a_broken_nginx_conf_fails_to_parse(tmp_path: Path, old: str, new: str) -> None:
    text = NGINX_CONF.read_text()
    assert old in text
    broken = tmp_path / "nginx.conf"
    broken.write_text(text.replace(old, new, 1))
    with pytest.raises(AssertionError):
        parse_nginx(broken)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("server mockapi-2:8000", "server mockapi-3:8000"),
        ("server mockapi-1:8000", "server mockapi-1:8080"),
        ("proxy_buffering off;", "proxy_buffering on;"),
        ("proxy_http_version 1.1;", "proxy_http_version 1.0;"),
        ("proxy_read_timeout 1h;", "proxy_read_timeout 60s;"),
        ("proxy_pass http://mockapi;", "proxy_pass http://api;"),
    ],
    ids=["unknown-replica", "wrong-port", "buffered", "http-1.0", "short-timeout", "no-such-upstream"],
)
def test_the_nginx_checks_fail_on_a_broken_copy(tmp_path: Path, old: str, new: str) -> None:
    text = NGINX_CONF.read_text()
    assert old in text
    broken = tmp_path / "nginx.conf"
    broken.write_text(text.replace(old, new, 1))
    with pytest.raises(AssertionError):
        check_nginx(parse_nginx(broken), load_compose())


# Kubernetes


def load_manifest() -> list[Doc]:
    return [_mapping(doc) for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc is not None]


def one(docs: list[Doc], kind: str, name: str) -> Doc:
    return _mapping(only((doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name), kind))


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def port_number(port: int | str, container: Doc) -> int:
    """A probe's or a Service's port, a number or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    return int(only((entry["containerPort"] for entry in container["ports"] if entry.get("name") == port), port))


def container_environ(container: Doc, docs: list[Doc]) -> dict[str, str]:
    """The container's variables, the Secrets' values among them (stringData, as the manifest writes them)."""
    environ = {}
    for variable in container.get("env", []):
        if "value" in variable:
            environ[variable["name"]] = variable["value"]
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            environ[variable["name"]] = one(docs, "Secret", reference["name"])["stringData"][reference["key"]]
    return environ


def expand(argument: str, environ: Mapping[str, str]) -> str:
    """Kubernetes' $(NAME) in a container's command and arguments ($$ for a $)."""

    def substitute(match: re.Match[str]) -> str:
        return "$" if match[0] == "$$" else environ.get(match[1], match[0])

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", substitute, argument)


def check_manifest(docs: list[Doc]) -> None:
    deployment = one(docs, "Deployment", "mockapi")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    container = only(spec["containers"], "containers")
    environ = container_environ(container, docs)
    argv = [expand(argument, environ) for argument in [*container["command"], *container["args"]]]
    settings = replica_settings(argv, environ)
    assert_replica_settings(settings, control_token="change-me")
    assert [entry["containerPort"] for entry in container["ports"]] == [settings.port]
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert (check["path"], port_number(check["port"], container)) == ("/health", settings.port), probe
    for bound in ("requests", "limits"):
        assert set(container["resources"][bound]) == {"cpu", "memory"}, bound

    # The shared files: a ReadWriteMany claim mounted at the data directory.
    mounts = container["volumeMounts"]
    mount = only((mount for mount in mounts if Path(mount["mountPath"]) == settings.data_dir), "mounts")
    volume = only((volume for volume in spec["volumes"] if volume["name"] == mount["name"]), "volumes")
    claim = one(docs, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]

    # The Service reaches these pods, and only these, on the port they serve.
    service = one(docs, "Service", "mockapi")
    assert selects(service["spec"]["selector"], labels)
    port = only(service["spec"]["ports"], "ports")
    assert port_number(port["targetPort"], container) == settings.port
    pods = [doc["spec"]["template"]["metadata"]["labels"] for doc in docs if doc["kind"] == "Deployment"]
    assert [selects(service["spec"]["selector"], other) for other in pods].count(True) == 1

    # The Redis of the state URL: a Service by that name, selecting the Redis pods on that port.
    state = urlsplit(settings.state_url)
    redis_service = one(docs, "Service", str(state.hostname))
    redis = one(docs, "Deployment", "redis")
    redis_container = only(redis["spec"]["template"]["spec"]["containers"], "containers")
    assert redis_container["image"] == "redis:7-alpine"
    assert selects(redis_service["spec"]["selector"], redis["spec"]["template"]["metadata"]["labels"])
    redis_port = only(redis_service["spec"]["ports"], "ports")
    assert redis_port["port"] == state.port == port_number(redis_port["targetPort"], redis_container)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_manifest_is_valid_against_the_kubernetes_schemas(version: str) -> None:
    docs = load_manifest()
    assert {doc["kind"] for doc in docs} == {"Secret", "PersistentVolumeClaim", "Deployment", "Service"}
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def _container(docs: list[Doc]) -> Doc:
    return _mapping(only(one(docs, "Deployment", "mockapi")["spec"]["template"]["spec"]["containers"], "containers"))


@pytest.mark.parametrize(
    "breaks",
    [
        lambda docs: one(docs, "Deployment", "mockapi")["spec"].update(replica=2),
        lambda docs: _container(docs)["ports"][0].update(containerPort="8000"),
        lambda docs: _container(docs)["readinessProbe"].update(httpGet={"path": "/health"}),
        lambda docs: one(docs, "Secret", "mockapi-control-token").update(stringData={"token": 1}),
    ],
    ids=["misspelt-key", "port-not-a-number", "probe-without-port", "secret-not-a-string"],
)
def test_a_broken_manifest_fails_the_schemas(breaks: Callable[[list[Doc]], None]) -> None:
    docs = load_manifest()
    breaks(docs)
    with pytest.raises(kubernetes_validate.ValidationError):
        for doc in docs:
            kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[0], strict=True)


def test_two_replicas_behind_a_service_share_redis_and_a_read_write_many_volume() -> None:
    check_manifest(load_manifest())


@pytest.mark.parametrize(
    ("breaks", "error"),
    [
        (lambda docs: one(docs, "Deployment", "mockapi")["spec"].update(replicas=1), AssertionError),
        (lambda docs: _container(docs)["args"].append("--stat-url"), SystemExit),
        (lambda docs: _container(docs).update(env=[]), AssertionError),
        (lambda docs: _container(docs)["livenessProbe"]["httpGet"].update(path="/healthz"), AssertionError),
        (lambda docs: _container(docs)["readinessProbe"]["httpGet"].update(port=8080), AssertionError),
        (lambda docs: one(docs, "Service", "mockapi")["spec"].update(selector={"app": "mockapi"}), AssertionError),
        (
            lambda docs: one(docs, "PersistentVolumeClaim", "mockapi-shared")["spec"].update(
                accessModes=["ReadWriteOnce"]
            ),
            AssertionError,
        ),
        (lambda docs: _container(docs)["volumeMounts"][0].update(mountPath="/data"), AssertionError),
        (lambda docs: one(docs, "Service", "redis")["metadata"].update(name="cache"), AssertionError),
    ],
    ids=[
        "one-replica",
        "unknown-flag",
        "no-token",
        "probe-path",
        "probe-port",
        "service-selects-nothing",
        "read-write-once",
        "volume-elsewhere",
        "no-redis-service",
    ],
)
def test_the_manifest_checks_fail_on_a_broken_copy(breaks: Callable[[list[Doc]], None], error: type[Exception]) -> None:
    docs = load_manifest()
    breaks(docs)
    with pytest.raises(error):
        check_manifest(docs)
