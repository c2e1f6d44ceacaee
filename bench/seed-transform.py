#!/usr/bin/env python3
"""
The baseline for bench/firehose-transform.ts --python: seed 004's Firehose transformation, in
Python with the standard library only. For each record of a Firehose event: base64-decode,
json.loads, join the fields with commas and a newline (for an envelope with a `readings` array,
one CSV line per reading, fields in a fixed column order), base64-encode, answer Ok. No
validation, no dedupe, no partition keys, no response limit: the work ours must beat per
CPU-second while doing all of that too.

Reads the events the TypeScript bench wrote (one JSON file: an array of Firehose transformation
events), transforms them once to warm up and check every reading became a line, then once
measured, and prints one JSON line: readings, rows, events, cpuMs (time.process_time over the
measured pass), wallMs, and the CPU milliseconds of each event.

Run: python3 bench/seed-transform.py EVENTS.json
"""

import base64
import json
import sys
import time

# The envelope's fields, then each reading's, in the order of the lake's telemetry table.
ENVELOPE_FIELDS = ("deviceId", "bootId")
READING_FIELDS = (
    "seq",
    "ts",
    "temperature",
    "humidity",
    "pressure",
    "pitch",
    "roll",
    "yaw",
    "temperatureAmbient",
    "temperatureCpu",
    "accelX",
    "accelY",
    "accelZ",
    "gyroX",
    "gyroY",
    "gyroZ",
    "magX",
    "magY",
    "magZ",
)


def field(value):
    return "" if value is None else str(value)


def csv_of(payload):
    readings = payload.get("readings")
    if isinstance(readings, list):
        head = ",".join(field(payload.get(name)) for name in ENVELOPE_FIELDS)
        return "".join(
            head + "," + ",".join(field(reading.get(name)) for name in READING_FIELDS) + "\n"
            for reading in readings
        )
    return ",".join(field(value) for value in payload.values()) + "\n"


def handler(event):
    output = []
    for record in event["records"]:
        payload = json.loads(base64.b64decode(record["data"]))
        data = base64.b64encode(csv_of(payload).encode("utf-8")).decode("ascii")
        output.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    return {"records": output}


def rows_of(results):
    rows = 0
    for result in results:
        for record in result["records"]:
            if record["result"] != "Ok":
                raise SystemExit(f"a record was answered {record['result']}")
            rows += base64.b64decode(record["data"]).count(b"\n")
    return rows


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        events = json.load(file)
    readings = 0
    for event in events:
        for record in event["records"]:
            payload = json.loads(base64.b64decode(record["data"]))
            readings += len(payload.get("readings", [None]))
    # Warm-up, which also proves every reading became a line.
    rows = rows_of([handler(event) for event in events])
    if rows != readings:
        raise SystemExit(f"{rows} rows for {readings} readings")
    per_event = []
    began_wall = time.perf_counter()
    began_cpu = time.process_time()
    for event in events:
        before = time.process_time()
        handler(event)
        per_event.append((time.process_time() - before) * 1000)
    cpu_ms = (time.process_time() - began_cpu) * 1000
    wall_ms = (time.perf_counter() - began_wall) * 1000
    print(
        json.dumps(
            {
                "readings": readings,
                "rows": rows,
                "events": len(events),
                "cpuMs": cpu_ms,
                "wallMs": wall_ms,
                "eventCpuMs": per_event,
            }
        )
    )


if __name__ == "__main__":
    main()
