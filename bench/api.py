# SPDX-License-Identifier: GPL-3.0-or-later
"""API benchmark: a person's associates endpoint under 16 concurrent clients.

    python bench/api.py [--scale medium] [--seed 7] [--clients 16] [--requests 6000] [--seconds 60] [--workers 2]

1. generate the bundle (cached under bench/out/) and load it into bench/out/api-db once
(reused while the graph is there; --reload to redo), 2. add a throwaway analyst token,
3. run `uvicorn api.app:create_app` on 127.0.0.1 only, 4. drive
GET /persons/{id}/associates for people who have associates, with a justification, from
N concurrent clients, bounded by a request count and a time limit, 5. print throughput,
p50/p95/p99 latency and errors as JSON. Target: >= 300 requests/s with no errors.
Every request goes through the whole guard: token, justification, fsynced access log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from csenet.settings import Settings  # noqa: E402

JUSTIFICATION = "BENCH-API-2024/1"


def bundle_for(scale: str, seed: int) -> Path:
    from csenet.synth import generate

    folder = HERE / "out" / ("%s-%d" % (scale, seed))
    if not (folder / "involvements.csv").exists() and not (folder / "involvements.csv.gz").exists():
        start = time.perf_counter()
        generate(folder, scale=scale, seed=seed)
        print("generated %s in %.1f s" % (folder, time.perf_counter() - start), file=sys.stderr)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q / 100 * (len(sorted_values) - 1)))))
    return sorted_values[k]


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bool]:
    """One keep-alive GET; (status, marked). A bare HTTP/1.1 client keeps the driver's CPU small."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("x-protective-marking") == "OFFICIAL-SENSITIVE"


async def drive(host: str, port: int, token: str, person_ids: list[str], clients: int, total: int,
                seconds: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random(7)
    requests = [("GET /persons/%s/associates HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                 "X-Justification: %s\r\n\r\n" % (pid, host, port, token, JUSTIFICATION)).encode()
                for pid in person_ids]

    async def client() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while issued < total and time.perf_counter() < deadline:
                issued += 1
                t0 = time.perf_counter()
                try:
                    status, marked = await _get(reader, writer, rng.choice(requests))
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors[exc.__class__.__name__] = errors.get(exc.__class__.__name__, 0) + 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                if status != 200 or not marked:
                    errors[str(status)] = errors.get(str(status), 0) + 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    return {
        "requests": len(latencies) + sum(errors.values()), "ok": len(latencies), "errors": errors,
        "seconds": round(elapsed, 2), "requests_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(percentile(lat, 50), 2), "p95": round(percentile(lat, 95), 2),
                       "p99": round(percentile(lat, 99), 2),
                       "mean": round(statistics.fmean(lat), 2) if lat else None},
    }


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("uvicorn exited with status %s" % proc.returncode)
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("the API did not answer /health within %d s" % timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", default=str(HERE / "out" / "api-db"))
    parser.add_argument("--reload", action="store_true", help="drop and reload the graph")
    args = parser.parse_args()

    from csenet.api.users import add_user
    from csenet.graph.falkordb_store import FalkorStore
    from csenet.pipeline import load_and_analyse

    run = HERE / "out" / "api-run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    settings = Settings(data=Path(args.data), graph_name="bench_api", memory_limit_mb=8192,
                        access_log=run / "access-log.jsonl", users_file=run / "users.json",
                        pseudonym_key_file=run / "pseudonym.key")
    store = FalkorStore.embedded(settings)  # held open so the server outlives the workers' restarts
    try:
        loaded = store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        if args.reload or not loaded:
            store.drop_graph()
            folder = bundle_for(args.scale, args.seed)
            start = time.perf_counter()
            load_and_analyse(store, folder, settings, rejects_path=run / "rejects.csv")
            print("loaded %s in %.1f s" % (folder.name, time.perf_counter() - start), file=sys.stderr)
        people = [r["id"] for r in store.read(
            "MATCH (p:Person)-[:ASSOCIATE_OF|ASSOCIATED_WITH]-(:Person) RETURN DISTINCT p.person_id AS id LIMIT 2000")]
        persons = store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        if not people:
            raise SystemExit("no person with associates in the graph")
        token = add_user(settings, "bench", "analyst")

        port = free_port()
        env = dict(os.environ, CSENET_DATA=str(settings.data), CSENET_GRAPH_NAME=settings.graph_name,
                   CSENET_ACCESS_LOG=str(settings.access_log), CSENET_USERS_FILE=str(settings.users_file),
                   CSENET_PSEUDONYM_KEY_FILE=str(settings.pseudonym_key_file), PYTHONPATH=str(ROOT))
        cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env)
        base = "http://127.0.0.1:%d" % port
        try:
            wait_ready(base, proc)
            asyncio.run(drive("127.0.0.1", port, token, people, args.clients, args.warmup, 30))
            result = asyncio.run(drive("127.0.0.1", port, token, people, args.clients, args.requests, args.seconds))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        from csenet.access_log import verify
        chain = verify(settings.access_log_path())
    finally:
        store.close()
    print(json.dumps({
        "scale": args.scale, "persons": persons, "people_sampled": len(people),
        "machine": "%s, %d cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version()),
        "clients": args.clients, "workers": args.workers, **result,
        "access_log": {"entries": chain.entries, "chain_ok": chain.ok},
        "target": {"requests_per_s_min": 300, "errors": 0},
        "met": result["requests_per_s"] >= 300 and not result["errors"],
    }, indent=2))


if __name__ == "__main__":
    main()
