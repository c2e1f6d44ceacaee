"""coffee-iot: the Kinesis ingest stream into the lake, as a Glue streaming job (Glue 4.0+).

Reads every record of the ingest stream (one JSON object per Kinesis record, ``type`` =
telemetry | coffee, DESIGN.md), and per micro-batch:

- splits by ``type``, explodes telemetry envelopes into one row per reading, flattens coffee
  records into one row each;
- checks each record as the TypeScript transform does (cloud/src/lake/transform.ts): the
  topic is the identity (a telemetry envelope's ``deviceId`` must be the ``thing`` the topic rule
  added, a coffee record's the thing of its photo key), the envelope's own fields, then each
  reading on its own against the telemetry schema's reading definition (READING_SCHEMA: types and
  the Sense HAT's physical ranges), a real timestamp, no more than the allowed skew in the future;
  good readings of an envelope land, each bad one goes to ``errors/readings/telemetry/`` with its
  device, boot, seq and reason;
- dedupes readings on (device_id, seq) and coffees on photo_key within the batch;
- adds ``ingest_time`` and ``ingest_year/month/day/hour`` (UTC) from the stream's arrival time;
- appends Parquet to ``curated/telemetry`` and ``curated/coffees`` partitioned by the ingest
  columns (replay, not this job, is what rewrites a partition);
- appends every refused record, with its reason, to ``errors/`` (never dropped unseen);
- prints one accounting line and one CloudWatch Embedded Metric Format line per batch
  (IdentityMismatches, RefusedReadings, RefusedRecords in CoffeeIot/Pipeline, the metrics the
  Firehose path emits and infra's alarms watch).

The Kinesis partition key is not checked here: Glue's Kinesis source gives a micro-batch the
record's data and, with addRecordTimestamp, its arrival (``__src_timestamp``), but no partition
key. The topic rule sets the partition key and ``thing`` from the same topic level, so ``thing``
carries the same identity; the Firehose transform, which sees both, checks both.

The column lists below are the lake's tables exactly as cloud/src/lake/columns.ts defines them;
test/src/lake/columns-agree.test.ts reads them (as Python literals, with ``ast``) and fails when
they drift from the TypeScript columns or the JSON Schemas. The checks below the columns are plain
Python (no Spark), and test/src/lake/glue-job-checks.test.ts runs them with python3 against the
TypeScript checks on the same inputs, and compares READING_SCHEMA with the schema file.

Job arguments: --STREAM_ARN, --LAKE_ROOT (s3://bucket/ with a trailing slash or not),
--CHECKPOINT_LOCATION (s3://…/checkpoints/ingest-stream/).
"""

import json
import re
import sys
from datetime import datetime, timezone

# Table columns: (name, Spark/Athena type). Keep in step with cloud/src/lake/columns.ts.
TELEMETRY_COLUMNS = [
    ("device_id", "string"),
    ("boot_id", "string"),
    ("seq", "bigint"),
    ("ts", "timestamp"),
    ("temperature", "double"),
    ("humidity", "double"),
    ("pressure", "double"),
    ("pitch", "double"),
    ("roll", "double"),
    ("yaw", "double"),
    ("temperature_ambient", "double"),
    ("temperature_cpu", "double"),
    ("accel_x", "double"),
    ("accel_y", "double"),
    ("accel_z", "double"),
    ("gyro_x", "double"),
    ("gyro_y", "double"),
    ("gyro_z", "double"),
    ("mag_x", "double"),
    ("mag_y", "double"),
    ("mag_z", "double"),
    ("ingest_time", "timestamp"),
]

COFFEE_COLUMNS = [
    ("device_id", "string"),
    ("event_id", "string"),
    ("photo_key", "string"),
    ("captured_at", "timestamp"),
    ("analyzed_at", "timestamp"),
    ("status", "string"),
    ("reason", "string"),
    ("analyzer", "string"),
    ("person_present", "boolean"),
    ("face_count", "int"),
    ("smile", "boolean"),
    ("smile_confidence", "double"),
    ("eyeglasses", "boolean"),
    ("eyeglasses_confidence", "double"),
    ("sunglasses", "boolean"),
    ("sunglasses_confidence", "double"),
    ("beard", "boolean"),
    ("beard_confidence", "double"),
    ("mustache", "boolean"),
    ("mustache_confidence", "double"),
    ("eyes_open", "boolean"),
    ("eyes_open_confidence", "double"),
    ("age_low", "int"),
    ("age_high", "int"),
    ("emotion", "string"),
    ("emotion_confidence", "double"),
    ("ingest_time", "timestamp"),
]

PARTITION_COLUMNS = ["ingest_year", "ingest_month", "ingest_day", "ingest_hour"]

# Columns that come from the envelope or the arrival, not from a reading / coffee record field.
ENVELOPE_COLUMNS = {"device_id": "deviceId", "boot_id": "bootId"}
INGEST_COLUMN = "ingest_time"

# The contracts' patterns (shared/src/schemas/*.schema.json).
DEVICE_ID_PATTERN = r"^[a-zA-Z0-9:_-]{1,128}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ISO_MILLIS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
PHOTO_KEY_PATTERN = r"^photos/[a-zA-Z0-9:_-]{1,128}/\d{4}/\d{2}/\d{2}/[0-9a-f-]{36}\.jpg$"
ISO_MILLIS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX"
COFFEE_STATUSES = ["analyzed", "unanalyzable", "missing"]
# What a refused record keeps of its text in errors/ (the TypeScript transform keeps as much).
REJECTED_TEXT_MAX_CHARS = 4096
WINDOW_SIZE = "60 seconds"


# The telemetry schema's reading definition (shared/src/schemas/telemetry-v1.schema.json,
# definitions.reading) without its descriptions: the job ships as this one file, so the rules are
# a copy, and glue-job-checks.test.ts fails when the copy differs from the schema.
READING_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["seq", "ts", "temperature", "humidity", "pressure", "pitch", "roll", "yaw"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1, "maximum": 9007199254740991},
        "ts": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$"},
        "temperature": {"type": "number", "minimum": -40, "maximum": 120},
        "humidity": {"type": "number", "minimum": 0, "maximum": 100},
        "pressure": {"type": "number", "minimum": 260, "maximum": 1260},
        "pitch": {"type": "number", "minimum": -180, "maximum": 360},
        "roll": {"type": "number", "minimum": -180, "maximum": 360},
        "yaw": {"type": "number", "minimum": -180, "maximum": 360},
        "temperatureAmbient": {"type": "number", "minimum": -40, "maximum": 120},
        "temperatureCpu": {"type": "number", "minimum": -40, "maximum": 125},
        "accelX": {"type": "number", "minimum": -16, "maximum": 16},
        "accelY": {"type": "number", "minimum": -16, "maximum": 16},
        "accelZ": {"type": "number", "minimum": -16, "maximum": 16},
        "gyroX": {"type": "number", "minimum": -35, "maximum": 35},
        "gyroY": {"type": "number", "minimum": -35, "maximum": 35},
        "gyroZ": {"type": "number", "minimum": -35, "maximum": 35},
        "magX": {"type": "number", "minimum": -1600, "maximum": 1600},
        "magY": {"type": "number", "minimum": -1600, "maximum": 1600},
        "magZ": {"type": "number", "minimum": -1600, "maximum": 1600},
    },
}
# shared/src/telemetry-check.ts: DEFAULT_MAX_FUTURE_SKEW_MS and IDENTITY_MISMATCH_REASON.
DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000
IDENTITY_MISMATCH_REASON = "deviceId does not match topic"
# cloud/src/lake/firehose/pipeline-metrics.ts
PIPELINE_METRICS_NAMESPACE = "CoffeeIot/Pipeline"
PIPELINE_METRICS = {
    "identityMismatches": "IdentityMismatches",
    "refusedReadings": "RefusedReadings",
    "refusedRecords": "RefusedRecords",
}
MAX_SAFE_INTEGER = 2**53 - 1
DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class _NotJson(ValueError):
    pass


def _refuse_constant(name):
    # JSON has no NaN or Infinity; Python's json module would accept them, JavaScript's does not.
    raise _NotJson(f"{name} is not JSON")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value):
    return _is_number(value) and float(value).is_integer()


def _has_type(kind, value):
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        return _is_integer(value)
    if kind == "string":
        return isinstance(value, str)
    return isinstance(value, dict)


def _number_text(value):
    return str(int(value)) if float(value).is_integer() else repr(value)


def _schema_problems(reading, schema):
    """(path, message) pairs in the order and words of the TypeScript side's Ajv (allErrors)."""
    if not _has_type(schema["type"], reading):
        return [("", f"must be {schema['type']}")]
    problems = [("", f"must have required property '{name}'") for name in schema["required"] if name not in reading]
    if schema["additionalProperties"] is False:
        problems += [("", f'unknown property "{name}"') for name in reading if name not in schema["properties"]]
    for name, rule in schema["properties"].items():
        if name not in reading:
            continue
        value = reading[name]
        if not _has_type(rule["type"], value):
            problems.append((f"/{name}", f"must be {rule['type']}"))
            continue
        if "maximum" in rule and value > rule["maximum"]:
            problems.append((f"/{name}", f"must be <= {_number_text(rule['maximum'])}"))
        if "minimum" in rule and value < rule["minimum"]:
            problems.append((f"/{name}", f"must be >= {_number_text(rule['minimum'])}"))
        if "pattern" in rule and re.search(rule["pattern"], value, re.ASCII) is None:
            problems.append((f"/{name}", f'must match pattern "{rule["pattern"]}"'))
    return problems


def is_real_iso_millis(iso):
    """Whether YYYY-MM-DDTHH:MM:SS.mmmZ (the pattern already matched) names a real moment."""
    year, month, day = int(iso[0:4]), int(iso[5:7]), int(iso[8:10])
    if month < 1 or month > 12 or day < 1:
        return False
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    month_days = 29 if month == 2 and leap else DAYS_IN_MONTH[month - 1]
    return day <= month_days and int(iso[11:13]) <= 23 and int(iso[14:16]) <= 59 and int(iso[17:19]) <= 59


def iso_millis(epoch_ms):
    """Epoch milliseconds as the contracts' ISO-8601 UTC string with milliseconds."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=timezone.utc)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{epoch_ms % 1000:03d}Z"


def reading_problem(reading, index, latest_ts, skew_ms):
    """Why reading `index` cannot land, in the TypeScript side's words, or None."""
    problems = _schema_problems(reading, READING_SCHEMA)
    if problems:
        return "; ".join(f"/readings/{index}{path}: {message}" for path, message in problems)
    ts = reading["ts"]
    if not is_real_iso_millis(ts):
        return f"/readings/{index}/ts: {ts} is not a real UTC moment"
    if ts > latest_ts:
        return f"/readings/{index}/ts: {ts} is more than {skew_ms / 1000:g} s after the message arrived"
    return None


def seq_of(reading):
    """The reading's seq when that much of it is a safe integer, else None (as in TypeScript)."""
    seq = reading.get("seq") if isinstance(reading, dict) else None
    return int(seq) if _is_integer(seq) and abs(seq) <= MAX_SAFE_INTEGER else None


def check_readings(texts, received_ms, skew_ms=DEFAULT_MAX_FUTURE_SKEW_MS):
    """
    Each reading of an envelope (its JSON text, as Spark hands a string field holding an object)
    checked on its own. Returns {"good": [reading dicts], "bad": [{index, seq, reason, data}]}:
    every reading is in exactly one of the two, in order.
    """
    latest_ts = iso_millis(received_ms + skew_ms)
    good, bad = [], []
    for index, text in enumerate(texts):
        try:
            reading = json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, TypeError):
            bad.append({"index": index, "seq": None, "reason": f"/readings/{index}: must be object", "data": str(text)})
            continue
        reason = reading_problem(reading, index, latest_ts, skew_ms)
        if reason is None:
            good.append(reading)
        else:
            data = json.dumps(reading, separators=(",", ":"), ensure_ascii=False)
            bad.append({"index": index, "seq": seq_of(reading), "reason": reason, "data": data})
    return {"good": good, "bad": bad}


def identity_problem(claimed, thing):
    """The TypeScript checkIdentity's reason when `claimed` (the payload's deviceId) is not `thing`."""
    if thing is None:
        return 'record carries no topic identity: neither the topic rule\'s "thing" nor a partition key'
    if claimed == thing:
        return None
    said = "undefined" if claimed is None else json.dumps(claimed)
    return f'{IDENTITY_MISMATCH_REASON}: the payload says {said}, the topic\'s thing is "{thing}"'


def metrics_line(identity_mismatches, refused_readings, refused_records, epoch_ms):
    """One Embedded Metric Format line: CloudWatch Logs turns it into the pipeline's metrics."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": epoch_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": PIPELINE_METRICS_NAMESPACE,
                        "Dimensions": [["Table"], []],
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in PIPELINE_METRICS.values()],
                    }
                ],
            },
            "Table": "telemetry",
            PIPELINE_METRICS["identityMismatches"]: identity_mismatches,
            PIPELINE_METRICS["refusedReadings"]: refused_readings,
            PIPELINE_METRICS["refusedRecords"]: refused_records,
        }
    )


def camel(name):
    """A column's contract field: temperature_ambient -> temperatureAmbient."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def reading_fields():
    """(field, type) of a reading: the telemetry columns that are neither envelope nor ingest."""
    return [
        (camel(name), "string" if kind == "timestamp" else kind)
        for name, kind in TELEMETRY_COLUMNS
        if name not in ENVELOPE_COLUMNS and name != INGEST_COLUMN
    ]


def coffee_fields():
    """(field, type) of a coffee record, timestamps as the ISO strings the contract carries."""
    return [
        (camel(name), "string" if kind == "timestamp" else kind)
        for name, kind in COFFEE_COLUMNS
        if name != INGEST_COLUMN
    ]


def ingest_record_ddl():
    """
    The explicit schema of an ingest-stream record (inferSchema is off: a batch of odd records
    must not change the columns): both record types' fields in one struct, `thing` (the topic's
    thing name, added by the topic rule), `reingested` (the Firehose path's re-ingest count) and
    `_corrupt_record`, where Spark's PERMISSIVE JSON reader puts the text of a record it cannot
    parse. The readings are an array of strings: Spark keeps a JSON object read into a string
    field as its JSON text, so a reading with a field of the wrong type is refused on its own by
    check_readings() instead of making the whole envelope a corrupt record.
    """
    fields = [("type", "string"), ("v", "int"), ("bootId", "string"), ("thing", "string"), ("reingested", "int")]
    fields.append(("readings", "array<string>"))
    fields.extend(coffee_fields())  # deviceId comes with them
    fields.append(("_corrupt_record", "string"))
    return ", ".join(f"`{name}` {kind}" for name, kind in fields)


def main():
    # Glue-only modules: imported here so that the column lists above can be read (and the file
    # compiled) on a machine without Glue or Spark.
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    args = getResolvedOptions(sys.argv, ["JOB_NAME", "STREAM_ARN", "LAKE_ROOT", "CHECKPOINT_LOCATION"])
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    # Partition values and ingest_time are UTC, as everywhere else in the lake.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # An impossible date (30 February) parses to null, which refuses the record, instead of
    # failing the batch with Spark 3's "legacy parser would have parsed it" upgrade error.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    # Millisecond INT64 timestamps, like Firehose's Parquet conversion and the local DuckDB lake.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)

    lake_root = args["LAKE_ROOT"].rstrip("/")
    curated = {table: f"{lake_root}/curated/{table}" for table in ("telemetry", "coffees")}
    errors_path = f"{lake_root}/errors"
    # Where the Firehose path writes them too (cloud/src/lake/firehose/reading-errors.ts).
    reading_errors_path = f"{lake_root}/errors/readings/telemetry"

    stream = glue_context.create_data_frame.from_options(
        connection_type="kinesis",
        connection_options={
            "typeOfData": "kinesis",
            "streamARN": args["STREAM_ARN"],
            "classification": "json",
            # From the oldest record the stream keeps; the checkpoint takes over after the first run.
            "startingPosition": "TRIM_HORIZON",
            "inferSchema": "false",
            "schema": ingest_record_ddl(),
            # __src_timestamp: when the stream received the record, the source of ingest_*.
            "addRecordTimestamp": "true",
        },
        transformation_ctx="ingest_stream",
    )

    def arrival(frame):
        """__src_timestamp as a timestamp, whether Glue gives it as a timestamp or epoch ms."""
        kind = frame.schema["__src_timestamp"].dataType.typeName()
        column = F.col("__src_timestamp")
        if kind in ("long", "integer", "decimal", "double"):
            return (column.cast("double") / 1000).cast("timestamp")
        return column.cast("timestamp")

    def iso_ok(column):
        """An ISO-8601 UTC millisecond string naming a real moment."""
        return column.rlike(ISO_MILLIS_PATTERN) & F.to_timestamp(column, ISO_MILLIS_FORMAT).isNotNull()

    def problem(condition, message):
        return F.when(condition, F.lit(message))

    spark_types = {"bigint": T.LongType(), "double": T.DoubleType(), "string": T.StringType()}
    fields = reading_fields()
    checked_type = T.StructType(
        [
            T.StructField("good", T.ArrayType(T.StructType([T.StructField(n, spark_types[k]) for n, k in fields]))),
            T.StructField(
                "bad",
                T.ArrayType(
                    T.StructType(
                        [
                            T.StructField("index", T.IntegerType()),
                            T.StructField("seq", T.LongType()),
                            T.StructField("reason", T.StringType()),
                            T.StructField("data", T.StringType()),
                        ]
                    )
                ),
            ),
        ]
    )
    casts = {"bigint": int, "double": float, "string": str}

    def check_readings_udf(texts, received_ms):
        """check_readings() as Spark rows: every value cast to its column's type (a Python UDF
        returns null for an int where a double is declared)."""
        result = check_readings(texts or [], received_ms)
        good = [
            tuple(None if r.get(n) is None else casts[k](r[n]) for n, k in fields) for r in result["good"]
        ]
        bad = [(b["index"], b["seq"], b["reason"], b["data"]) for b in result["bad"]]
        return (good, bad)

    checked_readings = F.udf(check_readings_udf, checked_type)
    identity_udf = F.udf(identity_problem, T.StringType())

    def telemetry_problems():
        """The envelope's own fields; its readings are checked one by one (check_readings)."""
        readings = F.col("readings")
        return [
            problem(F.col("v").isNull() | (F.col("v") != 1), "/v: must be 1"),
            problem(~F.coalesce(F.col("deviceId").rlike(DEVICE_ID_PATTERN), F.lit(False)), "/deviceId: missing or invalid"),
            problem(~F.coalesce(F.col("bootId").rlike(UUID_PATTERN), F.lit(False)), "/bootId: missing or invalid"),
            problem(readings.isNull() | (F.size(readings) < 1), "/readings: missing or empty"),
        ]

    def coffee_problems():
        confidences = [camel(name) for name, _ in COFFEE_COLUMNS if name.endswith("_confidence")]
        return [
            problem(F.col("v").isNull() | (F.col("v") != 1), "/v: must be 1"),
            problem(~F.coalesce(F.col("deviceId").rlike(DEVICE_ID_PATTERN), F.lit(False)), "/deviceId: missing or invalid"),
            problem(~F.coalesce(F.col("eventId").rlike(UUID_PATTERN), F.lit(False)), "/eventId: missing or invalid"),
            problem(~F.coalesce(F.col("photoKey").rlike(PHOTO_KEY_PATTERN), F.lit(False)), "/photoKey: missing or invalid"),
            problem(~F.coalesce(iso_ok(F.col("analyzedAt")), F.lit(False)), "/analyzedAt: not a real ISO-8601 UTC moment"),
            problem(
                F.col("capturedAt").isNotNull() & ~F.coalesce(iso_ok(F.col("capturedAt")), F.lit(False)),
                "/capturedAt: not a real ISO-8601 UTC moment",
            ),
            problem(~F.coalesce(F.col("status").isin(COFFEE_STATUSES), F.lit(False)), "/status: missing or unknown"),
            problem((F.col("faceCount") < 0) | (F.col("ageLow") < 0) | (F.col("ageHigh") < 0), "a count or age below 0"),
        ] + [
            problem((F.col(field) < 0) | (F.col(field) > 100), f"/{field}: must be 0-100")
            for field in confidences
        ]

    def identity_reason():
        """
        The topic is the identity: a telemetry envelope names the `thing` the topic rule added,
        a coffee record the thing of its photo key. Null when it does.
        """
        kind = F.col("type")
        key_thing = F.split(F.col("photoKey"), "/").getItem(1)
        return (
            F.when(F.col("_corrupt_record").isNotNull(), F.lit(None))
            .when(kind == "telemetry", identity_udf(F.col("deviceId"), F.col("thing")))
            .when((kind == "coffee") & key_thing.isNotNull(), identity_udf(F.col("deviceId"), key_thing))
        )

    def refusal_reason():
        """
        Every problem of a record, joined; null for a record that goes to the lake. A forged
        device id is the whole reason, whatever else is wrong (as in TypeScript).
        """
        kind = F.col("type")
        reasons = F.concat_ws(
            "; ",
            problem(
                F.col("_corrupt_record").isNotNull(),
                "payload is not a JSON object, or a field has the wrong type for the contract",
            ),
            problem(
                F.col("_corrupt_record").isNull() & (kind.isNull() | ~kind.isin("telemetry", "coffee")),
                "/type: missing or unknown (expected one of telemetry, coffee)",
            ),
            *[F.when(kind == "telemetry", p) for p in telemetry_problems()],
            *[F.when(kind == "coffee", p) for p in coffee_problems()],
        )
        return F.coalesce(F.col("_identity"), F.when(reasons != "", reasons))

    def lake_timestamp(column):
        return F.to_timestamp(column, ISO_MILLIS_FORMAT)

    def telemetry_rows(records):
        """One row per reading that passed its checks, deduplicated on (device_id, seq)."""
        exploded = records.where(F.col("type") == "telemetry").select(
            "deviceId", "bootId", "ingest_time", *PARTITION_COLUMNS, F.explode("_checked.good").alias("r")
        )
        columns = []
        for name, kind in TELEMETRY_COLUMNS:
            if name in ENVELOPE_COLUMNS:
                source = F.col(ENVELOPE_COLUMNS[name])
            elif name == INGEST_COLUMN:
                source = F.col(INGEST_COLUMN)
            elif kind == "timestamp":
                source = lake_timestamp(F.col("r")[camel(name)])
            else:
                source = F.col("r")[camel(name)]
            columns.append(source.cast(kind).alias(name))
        return exploded.select(*columns, *PARTITION_COLUMNS)

    def coffee_rows(records):
        columns = []
        for name, kind in COFFEE_COLUMNS:
            if name == INGEST_COLUMN:
                source = F.col(INGEST_COLUMN)
            elif kind == "timestamp":
                source = lake_timestamp(F.col(camel(name)))
            else:
                source = F.col(camel(name))
            columns.append(source.cast(kind).alias(name))
        selected = records.where(F.col("type") == "coffee").select(*columns, *PARTITION_COLUMNS)
        return selected.dropDuplicates(["photo_key"])

    def error_lines(refused, batch_id):
        """errors/ lines as the local lake writes them: id, arrivedAt, reason, data."""
        bookkeeping = {
            "_corrupt_record",
            "__src_timestamp",
            "arrived_at",
            "_refusal",
            "_identity",
            "_checked",
            INGEST_COLUMN,
            *PARTITION_COLUMNS,
        }
        record_fields = [c for c in refused.columns if c not in bookkeeping]
        text = F.coalesce(F.col("_corrupt_record"), F.to_json(F.struct(*record_fields)))
        return refused.select(
            F.concat(F.lit(f"glue-batch-{batch_id}-"), F.monotonically_increasing_id().cast("string")).alias("id"),
            F.date_format("arrived_at", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").alias("arrivedAt"),
            F.col("_refusal").alias("reason"),
            F.when(F.length(text) > REJECTED_TEXT_MAX_CHARS, F.concat(F.substring(text, 1, REJECTED_TEXT_MAX_CHARS), F.lit("… (truncated)")))
            .otherwise(text)
            .alias("data"),
            *PARTITION_COLUMNS,
        )

    def reading_error_lines(accepted, batch_id):
        """
        errors/readings/telemetry/ lines for the readings refused on their own, in the Firehose
        path's shape (reading-errors.ts): the error line plus the record, device, boot and seq.
        """
        record_id = F.concat(F.lit(f"glue-batch-{batch_id}-"), F.monotonically_increasing_id().cast("string"))
        bad = accepted.where((F.col("type") == "telemetry") & (F.size("_checked.bad") > 0)).select(
            record_id.alias("recordId"),
            "arrived_at",
            "deviceId",
            "bootId",
            *PARTITION_COLUMNS,
            F.explode("_checked.bad").alias("b"),
        )
        return bad.select(
            F.concat(F.col("recordId"), F.lit("#/readings/"), F.col("b.index").cast("string")).alias("id"),
            F.date_format("arrived_at", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").alias("arrivedAt"),
            F.col("b.reason").alias("reason"),
            F.col("b.data").alias("data"),
            "recordId",
            "deviceId",
            "bootId",
            F.col("b.seq").alias("seq"),
            F.lit("telemetry").alias("table"),
            *PARTITION_COLUMNS,
        )

    def process_batch(frame, batch_id):
        if frame.head(1) == []:
            return
        arrived = frame.withColumn("arrived_at", arrival(frame))
        records = arrived.select(
            "*",
            F.date_trunc("millisecond", F.col("arrived_at")).alias(INGEST_COLUMN),
            F.date_format("arrived_at", "yyyy").alias("ingest_year"),
            F.date_format("arrived_at", "MM").alias("ingest_month"),
            F.date_format("arrived_at", "dd").alias("ingest_day"),
            F.date_format("arrived_at", "HH").alias("ingest_hour"),
        ).withColumn("_identity", identity_reason())
        records = records.select(
            "*",
            # Not "reason": a coffee record has a field of that name.
            refusal_reason().alias("_refusal"),
            F.when(
                F.col("type") == "telemetry",
                checked_readings(F.col("readings"), (F.col("arrived_at").cast("double") * 1000).cast("long")),
            ).alias("_checked"),
        ).persist()
        try:
            accepted = records.where(F.col("_refusal").isNull())
            refused = records.where(F.col("_refusal").isNotNull())
            landing = telemetry_rows(accepted).persist()
            telemetry = landing.dropDuplicates(["device_id", "seq"])
            coffees = coffee_rows(accepted)
            telemetry.write.mode("append").partitionBy(*PARTITION_COLUMNS).parquet(curated["telemetry"])
            coffees.write.mode("append").partitionBy(*PARTITION_COLUMNS).parquet(curated["coffees"])
            refused_count = refused.count()
            if refused_count > 0:
                error_lines(refused, batch_id).write.mode("append").partitionBy(*PARTITION_COLUMNS).json(errors_path)
            bad_readings = reading_error_lines(accepted, batch_id)
            refused_readings = bad_readings.count()
            if refused_readings > 0:
                bad_readings.write.mode("append").partitionBy(*PARTITION_COLUMNS).json(reading_errors_path)
            identity_mismatches = refused.where(F.col("_identity").isNotNull()).count()
            passed, rows = landing.count(), telemetry.count()
            # Every reading of an accepted envelope is a row, a duplicate or a refused reading.
            print(
                f"batch {batch_id}: {records.count()} record(s), {passed + refused_readings} reading(s) in = "
                f"{rows} row(s) + {passed - rows} duplicate(s) + {refused_readings} refused to errors/readings/; "
                f"{coffees.count()} coffee row(s); {refused_count} record(s) refused to errors/, "
                f"{identity_mismatches} of them naming another device than their topic"
            )
            # The pipeline's metrics (CloudWatch Logs extracts them from this line), as Firehose emits them.
            print(metrics_line(identity_mismatches, refused_readings, refused_count, int(datetime.now(timezone.utc).timestamp() * 1000)))
            landing.unpersist()
        finally:
            records.unpersist()

    glue_context.forEachBatch(
        frame=stream,
        batch_function=process_batch,
        options={"windowSize": WINDOW_SIZE, "checkpointLocation": args["CHECKPOINT_LOCATION"]},
    )
    job.commit()


if __name__ == "__main__":
    main()
