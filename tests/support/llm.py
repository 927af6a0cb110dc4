"""A loopback stand-in for a language model endpoint (the outside world, so a fake): it speaks the OpenAI
chat-completions protocol (`POST /chat/completions`), records every request it receives, and answers
"Improved: " followed by the user's message — so the placeholders it was sent come back in the answer."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: what the stub puts before the user's message in its answer
ANSWER_PREFIX = "Improved: "


class StubModel:
    """The stub server on 127.0.0.1:`port`, in a thread; `received` holds each request's JSON body and its
    Authorization header."""

    def __init__(self, port: int) -> None:
        self.received: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                stub.received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
                answer = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion",
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": ANSWER_PREFIX + user},
                            "finish_reason": "stop",
                        }
                    ],
                }
                data = json.dumps(answer).encode()
                self.send_response(200 if self.path == "/v1/chat/completions" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet: what it receives is checked, not printed
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> StubModel:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sent_text(self) -> str:
        """Everything the model was sent, as one JSON text."""
        return json.dumps([r["body"] for r in self.received])
