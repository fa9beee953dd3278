"""A stand-in for the DfE download service and GIAS on 127.0.0.1, for tests only.

Routes are official URL paths (path + query). Each route has a queue of behaviours, one used
per request (the last one repeats): ("ok", bytes), ("status", 500), ("slow", seconds, bytes),
("truncate", bytes) - announces the full length, sends half, then closes the connection.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class DfEServer:
    def __init__(self) -> None:
        self.routes: dict[str, list[tuple]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                key = parts.path + ("?" + parts.query if parts.query else "")
                server.requests.append(key)
                queue = server.routes.get(key)
                if not queue:
                    self.send_error(404, "Not Found")
                    return
                behaviour = queue.pop(0) if len(queue) > 1 else queue[0]
                kind = behaviour[0]
                if kind == "status":
                    self.send_error(behaviour[1])
                    return
                if kind == "slow":
                    time.sleep(behaviour[1])
                    body = behaviour[2]
                else:
                    body = behaviour[1]
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if kind == "truncate":
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, url_path_and_query: str, *behaviours: tuple) -> None:
        self.routes[url_path_and_query] = list(behaviours)

    def __enter__(self) -> DfEServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
