"""A note-taking HTTP API on $PORT_HTTP, storing notes in $NOTES_DIR."""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

path = os.path.join(os.environ["NOTES_DIR"], "notes.json")


def load():
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"ok": True})
        elif self.path == "/notes":
            self.reply(200, {"title": os.environ["TITLE"], "notes": load()})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/notes":
            return self.reply(404, {"error": "not found"})
        text = self.rfile.read(int(self.headers["Content-Length"])).decode()
        notes = load() + [text]
        with open(path + ".tmp", "w") as f:
            json.dump(notes, f)
        os.replace(path + ".tmp", path)
        self.reply(201, {"count": len(notes)})

    def log_message(self, format, *args):
        if self.path != "/health":
            print("api:", format % args)


port = int(os.environ["PORT_HTTP"])
print(f"api: listening on 127.0.0.1:{port}")
try:
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
except KeyboardInterrupt:
    print("api: stopped")
