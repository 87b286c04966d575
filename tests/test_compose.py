# SPDX-License-Identifier: GPL-3.0-or-later
"""docker-compose.yml is valid Compose and keeps the production path's promises.

There is no Docker engine in CI, so the file is checked against the Compose
Specification's JSON schema (vendored in tests/data, see compose-spec.NOTICE) and for
the things a force's deployment relies on: Neo4j healthy before the API starts, no
password in the file, Browser pointed at the csenet guide.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"

ENV_REFERENCE = re.compile(r"\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_matches_compose_specification(compose: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schema_rejects_a_broken_file() -> None:
    """The schema check has teeth: a misspelt key fails it."""
    schema = json.loads(SCHEMA.read_text())
    broken = {"services": {"neo4j": {"image": "neo4j", "helthcheck": {"test": ["NONE"]}}}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))


def test_neo4j_is_pinned_5x_community(compose: dict) -> None:
    image = compose["services"]["neo4j"]["image"]
    default = ENV_REFERENCE.fullmatch(image).group(3) if image.startswith("${") else image
    assert re.fullmatch(r"neo4j:5\.\d+\.\d+-community", default), default


def test_neo4j_has_healthcheck_volumes_and_memory(compose: dict) -> None:
    neo4j = compose["services"]["neo4j"]
    test = neo4j["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"} and "RETURN 1" in " ".join(test)
    targets = {v.split(":")[1] for v in neo4j["volumes"]}
    assert {"/data", "/logs"} <= targets
    env = neo4j["environment"]
    for setting in ("NEO4J_server_memory_heap_max__size", "NEO4J_server_memory_pagecache_size"):
        assert ENV_REFERENCE.search(env[setting]), f"{setting} should come from the env file"


def test_api_waits_for_healthy_neo4j(compose: dict) -> None:
    for name in ("api", "csenet"):
        service = compose["services"][name]
        assert service["depends_on"]["neo4j"]["condition"] == "service_healthy"
        assert service["environment"]["CSENET_GRAPH"] == "bolt://neo4j:7687"


def test_api_serves_on_8000(compose: dict) -> None:
    api = compose["services"]["api"]
    assert api["build"] == "."
    assert api["command"] == ["csenet", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert any(str(p).endswith(":8000") for p in api["ports"])


def test_loader_service_mounts_bundles(compose: dict) -> None:
    csenet = compose["services"]["csenet"]
    assert csenet["entrypoint"] == ["csenet"]
    assert any(v.endswith(":/bundles") for v in csenet["volumes"])
    assert csenet.get("profiles"), "a one-off service must not start with `docker compose up`"


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (str(i),))
    else:
        yield path, node


def test_no_hard_coded_secret(compose: dict) -> None:
    """Every password or auth value is interpolated from the env file, never written in."""
    secret_names = re.compile(r"PASSWORD|AUTH|SECRET|TOKEN", re.I)
    for path, value in _walk(compose):
        if any(secret_names.search(p) for p in path):
            assert isinstance(value, str) and "${" in value, f"{'.'.join(path)} is hard-coded"
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"NEO4J_AUTH:\s*\"?neo4j/(?!\$\{)", text), "NEO4J_AUTH must take its password from .env"
    for path, value in _walk(compose):
        if isinstance(value, str):
            assert not re.search(r"\s-p\s+(?![\"']?\$)", value), f"{'.'.join(path)} carries a literal password"


def test_required_secrets_fail_loudly(compose: dict) -> None:
    """`${VAR:?message}`: compose refuses to start without a password rather than using a blank one."""
    auth = compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"]
    assert ENV_REFERENCE.search(auth).group(2) == ":?"


def test_env_example_covers_every_variable(compose: dict, env_example: dict[str, str]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = {m.group(1) for m in ENV_REFERENCE.finditer(text)}
    missing = used - set(env_example) - {"NEO4J_IMAGE", "CSENET_VERSION"}
    assert not missing, f".env.example does not document {sorted(missing)}"
    assert "change-me" in env_example["CSENET_NEO4J_PASSWORD"]
    assert not (ROOT / ".env").exists() or ".env" in (ROOT / ".gitignore").read_text().split()


def test_browser_settings(compose: dict) -> None:
    env = compose["services"]["neo4j"]["environment"]
    assert "NEO4J_browser_remote__content__hostname__whitelist" in env
    cmd = env["NEO4J_browser_post__connect__cmd"]
    assert re.search(r"style http://\S+/browser/style\.grass", cmd)
    assert re.search(r"play http://\S+/browser/guide", cmd)


def test_dockerfile_runs_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and not users[-1].startswith(("root", "0:", "0\n")) and users[-1] != "0"
    assert "pip install ." in text
