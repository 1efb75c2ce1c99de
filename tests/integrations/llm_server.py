"""A local HTTP server speaking the OpenAI and Anthropic wire formats, for the real clients.

- ``POST /v1/chat/completions``: a ``chat.completion`` object, or with ``"stream": true``
  server-sent ``chat.completion.chunk`` events ending in ``data: [DONE]``; with
  ``stream_options.include_usage`` the last chunk has empty ``choices`` and the usage
  (OpenAI API reference, "Create chat completion" and "The chat completion chunk object").
- ``POST /v1/messages``: a ``message`` object, or with ``"stream": true`` the events
  ``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``,
  ``content_block_stop``, ``message_delta`` (cumulative ``usage.output_tokens``) and
  ``message_stop`` (Anthropic API docs, "Streaming Messages").

Every request's headers are kept in ``seen_headers`` so that tests can check what the
client sent.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 1200
COMPLETION_TOKENS = 300


class Server:
    def __init__(self) -> None:
        self.seen_headers: list[dict[str, str]] = []
        self.model_override: str | None = None
        handler = _handler(self)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _openai_body(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-local1",
        "object": "chat.completion",
        "created": 1733000000,
        "model": model,
        "system_fingerprint": "fp_local",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": PROMPT_TOKENS,
            "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
        },
    }


def _openai_chunks(model: str, include_usage: bool) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": "chatcmpl-local2",
            "object": "chat.completion.chunk",
            "created": 1733000000,
            "model": model,
            "system_fingerprint": "fp_local",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            out["usage"] = None
        return out

    chunks = [
        chunk({"role": "assistant", "content": ""}, None),
        chunk({"content": "Hel"}, None),
        chunk({"content": "lo!"}, None),
        chunk({}, "stop"),
    ]
    if include_usage:
        chunks.append(
            {
                "id": "chatcmpl-local2",
                "object": "chat.completion.chunk",
                "created": 1733000000,
                "model": model,
                "system_fingerprint": "fp_local",
                "choices": [],
                "usage": {
                    "prompt_tokens": PROMPT_TOKENS,
                    "completion_tokens": COMPLETION_TOKENS,
                    "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
                },
            }
        )
    return chunks


def _anthropic_body(model: str) -> dict[str, Any]:
    return {
        "id": "msg_local1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": COMPLETION_TOKENS},
    }


def _anthropic_events(model: str) -> list[tuple[str, dict[str, Any]]]:
    start = _anthropic_body(model) | {
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": PROMPT_TOKENS, "output_tokens": 1},
    }
    return [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Hello!"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": COMPLETION_TOKENS},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, delayed ACKs hold each
        # response ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            server.seen_headers.append(dict(self.headers.items()))
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            model = server.model_override or str(request.get("model", ""))
            if self.path.endswith("/chat/completions"):
                if request.get("stream"):
                    include = bool((request.get("stream_options") or {}).get("include_usage"))
                    chunks: list[tuple[str | None, dict[str, Any]]] = [
                        (None, c) for c in _openai_chunks(model, include)
                    ]
                    self._sse(chunks, done=True)
                else:
                    self._json(_openai_body(model))
            elif self.path.endswith("/messages"):
                if request.get("stream"):
                    self._sse([*_anthropic_events(model)], done=False)
                else:
                    self._json(_anthropic_body(model))
            else:
                self.send_error(404)

        def _json(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, events: list[tuple[str | None, dict[str, Any]]], *, done: bool) -> None:
            parts = []
            for name, data in events:
                head = f"event: {name}\n" if name else ""
                parts.append(f"{head}data: {json.dumps(data)}\n\n")
            if done:
                parts.append("data: [DONE]\n\n")
            body = "".join(parts).encode()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
