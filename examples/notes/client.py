"""Adds two notes through the API, then prints every note."""
import json
import os
import urllib.request

base = f"http://127.0.0.1:{os.environ['API_PORT_HTTP']}"
for text in ["buy milk", "write a deployment"]:
    request = urllib.request.Request(f"{base}/notes", data=text.encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        print(f"client: added {text!r}; the API now has {json.load(response)['count']} notes")
with urllib.request.urlopen(f"{base}/notes") as response:
    listing = json.load(response)
print(f"client: {listing['title']}: {', '.join(listing['notes'])}")
