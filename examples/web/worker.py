"""The worker: polls the site's status page and reports what it says."""
import json
import os
import time
import urllib.request

url = f"http://127.0.0.1:{os.environ['SITE_PORT_HTTP']}/status.json"
interval = float(os.environ.get("POLL_SECONDS", "1"))
polls = 0
while True:
    polls += 1
    with urllib.request.urlopen(url, timeout=5) as response:
        status = json.load(response)["status"]
    print(f"worker: poll {polls}: the site says {status}")
    time.sleep(interval)
