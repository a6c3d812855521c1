"""Local stand-ins for api.telegram.org and graph.facebook.com: threading HTTP servers on
127.0.0.1 that record every request and answer as the real services do (tests/
test_chat_channels.py points Cergas at them with CHAT_TELEGRAM_API and CHAT_WHATSAPP_API)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"raw": raw.decode("latin-1")}
        fake = self.server.fake
        with fake.lock:
            fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
            status, answer = fake.answer(self.path, body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class FakeService:
    """A recording HTTP server; `fail_with` makes every send answer that status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.fail_with: int | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def sent(self, method: str) -> list[dict]:
        return [row["body"] for row in self.requests if row["path"].endswith("/" + method)]


class FakeTelegram(FakeService):
    """The bot API: sendMessage, getMe, and getUpdates answering `updates` from the offset."""

    def __init__(self, bot: str = "cergas_uji_bot"):
        super().__init__()
        self.bot = bot
        self.updates: list[dict] = []

    def start_message(self, text: str, chat_id: int = 555001, chat_type: str = "private"):
        update_id = 9000 + len(self.updates)
        self.updates.append(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "chat": {"id": chat_id, "type": chat_type, "first_name": "Agus"},
                    "text": text,
                },
            }
        )

    def answer(self, path: str, body: dict):
        method = path.rsplit("/", 1)[-1]
        if method == "getUpdates":
            offset = body.get("offset") or 0
            return 200, {
                "ok": True,
                "result": [u for u in self.updates if u["update_id"] >= offset],
            }
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "username": self.bot}}
        if self.fail_with:
            return self.fail_with, {"ok": False, "description": "Bad Request: chat not found"}
        return 200, {"ok": True, "result": {"message_id": len(self.requests)}}


class FakeMeta(FakeService):
    """The WhatsApp Cloud API: POST /<version>/<phone id>/messages."""

    def answer(self, path: str, body: dict):
        if self.fail_with:
            return self.fail_with, {
                "error": {"message": "(#131030) Recipient not in allowed list", "code": 131030}
            }
        return 200, {"messages": [{"id": "wamid.TEST"}]}

    def texts(self) -> list[str]:
        return [
            body.get("text", {}).get("body", "") or json.dumps(body.get("template", {}))
            for body in self.sent("messages")
        ]
