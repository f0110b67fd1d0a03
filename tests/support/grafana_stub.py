"""A small stub of Grafana's HTTP API (the endpoints and payloads grafana-client uses), served for
real on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "glsa_test_token"


class StubGrafana:
    """Grafana's state: folders, data sources and dashboards by uid, and the calls made."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.ids = iter(range(1, 10_000))

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.calls.append(f"{method} {path}")
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "folders"]:
            return self.folder(method, parts[2:], body)
        if parts[:2] == ["api", "datasources"]:
            return self.datasource(method, parts[2:], body)
        if parts[:2] == ["api", "dashboards"]:
            return self.dashboard(method, parts[2:], body)
        return 404, {"message": "Not found"}

    def folder(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "POST" and not rest:
            if body["uid"] in self.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            folder = {
                "id": next(self.ids),
                "uid": body["uid"],
                "title": body["title"],
                "url": f"/dashboards/f/{body['uid']}/",
                "version": 1,
            }
            self.folders[body["uid"]] = folder
            return 200, folder
        (uid,) = rest
        if uid not in self.folders:
            return 404, {"message": "folder not found", "status": "not-found"}
        if method == "PUT":
            self.folders[uid] |= {
                "title": body["title"],
                "version": self.folders[uid]["version"] + 1,
            }
        return 200, self.folders[uid]

    def datasource(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "POST" and not rest:
            if body["uid"] in self.datasources:
                return 409, {"message": "data source with the same uid already exists"}
            self.datasources[body["uid"]] = self.store_datasource(body, next(self.ids))
            stored = self.datasources[body["uid"]]
            return 200, {
                "datasource": stored,
                "id": stored["id"],
                "message": "Datasource added",
                "name": stored["name"],
            }
        assert rest[0] == "uid"
        uid = rest[1]
        if uid not in self.datasources:
            return 404, {"message": "Data source not found"}
        if method == "PUT":
            old = self.datasources[uid]
            self.datasources[uid] = self.store_datasource(body, old["id"], old["version"] + 1)
            return 200, {"datasource": self.datasources[uid], "message": "Datasource updated"}
        return 200, self.datasources[uid]

    @staticmethod
    def store_datasource(body: dict[str, Any], id_: int, version: int = 1) -> dict[str, Any]:
        """As Grafana answers: secrets become flags, and some fields are added."""
        stored = {k: v for k, v in body.items() if k != "secureJsonData"}
        return {
            "id": id_,
            "orgId": 1,
            "basicAuth": False,
            "withCredentials": False,
            "readOnly": False,
            "version": version,
            "typeLogoUrl": "",
            "database": "",
            **stored,
            "secureJsonFields": dict.fromkeys(body.get("secureJsonData", {}), True),
        }

    def dashboard(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "POST" and rest == ["db"]:
            model = dict(body["dashboard"])
            old = self.dashboards.get(model["uid"])
            version = old["dashboard"]["version"] + 1 if old else 1
            id_ = old["dashboard"]["id"] if old else next(self.ids)
            self.dashboards[model["uid"]] = {
                "dashboard": {**model, "id": id_, "version": version},
                "meta": {"folderUid": body.get("folderUid", ""), "slug": model["uid"]},
            }
            return 200, {
                "id": id_,
                "uid": model["uid"],
                "status": "success",
                "version": version,
                "url": f"/d/{model['uid']}",
            }
        assert rest[0] == "uid"
        found = self.dashboards.get(rest[1])
        return (200, found) if found else (404, {"message": "Dashboard not found"})


@contextmanager
def stub_grafana() -> Iterator[tuple[StubGrafana, str]]:
    """The stub's state and its address, for as long as the block runs."""
    state = StubGrafana()

    class Handler(BaseHTTPRequestHandler):
        def _respond(self, method: str) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, payload = 401, {"message": "Unauthorized"}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, payload = state.handle(method, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._respond("GET")

        def do_POST(self) -> None:
            self._respond("POST")

        def do_PUT(self) -> None:
            self._respond("PUT")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
