"""The migration job: writes the site's pages into the directory given as
the only argument, then exits 0."""
import json
import os
import sys
import time

root = sys.argv[1]
os.makedirs(root, exist_ok=True)
pages = {
    "index.html": "<h1>nix2dream</h1><p>Served by python3 -m http.server.</p>\n",
    "status.json": json.dumps({"status": "ok", "built": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n",
}
for name, text in pages.items():
    with open(os.path.join(root, name), "w") as f:
        f.write(text)
print(f"migrate: wrote {len(pages)} pages to {root}", flush=True)
