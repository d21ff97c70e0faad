"""A clock: reads its label and interval from the JSON file given as the
only argument, then prints a numbered tick at that interval."""
import json
import os
import sys
import time

with open(sys.argv[1]) as f:
    settings = json.load(f)
instance = os.environ.get("NIX2DREAM_INSTANCE", "1")
ticks = 0
while True:
    ticks += 1
    print(f"{settings['label']} (copy {instance}): tick {ticks}")
    time.sleep(settings["every"])
