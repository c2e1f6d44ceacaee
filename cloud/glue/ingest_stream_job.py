"""coffee-iot: the Kinesis ingest stream into the lake, as a Glue streaming job (Glue 4.0+).

Reads every record of the ingest stream (one JSON object per Kinesis record, ``type`` =
telemetry | coffee, DESIGN.md), and per micro-batch:

- splits by ``type``, explodes telemetry envelopes into one row per reading, flattens coffee
  records into one row each;
- checks each record as the TypeScript transform does (cloud/src/lake/transform.ts): the
  contract's required fields, patterns and ranges, timestamps that name a real moment;
- dedupes readings on (device_id, seq) and coffees on photo_key within the batch;
- adds ``ingest_time`` and ``ingest_year/month/day/hour`` (UTC) from the stream's arrival time;
- appends Parquet to ``curated/telemetry`` and ``curated/coffees`` partitioned by the ingest
  columns (replay, not this job, is what rewrites a partition);
- appends every refused record, with its reason, to ``errors/`` (never dropped unseen).

The column lists below are the lake's tables exactly as cloud/src/lake/columns.ts defines them;
test/src/lake/columns-agree.test.ts reads them (as Python literals, with ``ast``) and fails when
they drift from the TypeScript columns or the JSON Schemas.

Job arguments: --STREAM_ARN, --LAKE_ROOT (s3://bucket/ with a trailing slash or not),
--CHECKPOINT_LOCATION (s3://…/checkpoints/ingest-stream/).
"""

import operator
import sys
from functools import reduce

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
REQUIRED_READING_FIELDS = ["seq", "ts", "temperature", "humidity", "pressure", "pitch", "roll", "yaw"]
# What a refused record keeps of its text in errors/ (the TypeScript transform keeps as much).
REJECTED_TEXT_MAX_CHARS = 4096
WINDOW_SIZE = "60 seconds"


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
    must not change the columns): both record types' fields in one struct, the readings as an
    array of structs, `reingested` (the Firehose path's re-ingest count) and `_corrupt_record`,
    where Spark's PERMISSIVE JSON reader puts the text of a record it cannot parse.
    """
    fields = [("type", "string"), ("v", "int"), ("bootId", "string"), ("reingested", "int")]
    reading = ", ".join(f"{name}: {kind}" for name, kind in reading_fields())
    fields.append(("readings", f"array<struct<{reading}>>"))
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

    def telemetry_problems():
        reading_bad = {
            "a reading lacks a required field": lambda r: reduce(
                operator.or_, [r[field].isNull() for field in REQUIRED_READING_FIELDS]
            ),
            "a reading has seq < 1": lambda r: r["seq"] < 1,
            "a reading's ts is not a real ISO-8601 UTC moment with milliseconds": lambda r: ~iso_ok(r["ts"]),
            "a reading's humidity is outside 0-100": lambda r: (r["humidity"] < 0) | (r["humidity"] > 100),
            "a reading's pressure is below 0": lambda r: r["pressure"] < 0,
        }
        readings = F.col("readings")
        return [
            problem(F.col("v").isNull() | (F.col("v") != 1), "/v: must be 1"),
            problem(~F.coalesce(F.col("deviceId").rlike(DEVICE_ID_PATTERN), F.lit(False)), "/deviceId: missing or invalid"),
            problem(~F.coalesce(F.col("bootId").rlike(UUID_PATTERN), F.lit(False)), "/bootId: missing or invalid"),
            problem(readings.isNull() | (F.size(readings) < 1), "/readings: missing or empty"),
        ] + [
            problem(F.coalesce(F.exists(readings, test), F.lit(False)), f"/readings: {message}")
            for message, test in reading_bad.items()
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

    def refusal_reason():
        """Every problem of a record, joined; null for a record that goes to the lake."""
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
        return F.when(reasons != "", reasons)

    def lake_timestamp(column):
        return F.to_timestamp(column, ISO_MILLIS_FORMAT)

    def telemetry_rows(records):
        exploded = records.where(F.col("type") == "telemetry").select(
            "deviceId", "bootId", "ingest_time", *PARTITION_COLUMNS, F.explode("readings").alias("r")
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
        return exploded.select(*columns, *PARTITION_COLUMNS).dropDuplicates(["device_id", "seq"])

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
        bookkeeping = {"_corrupt_record", "__src_timestamp", "arrived_at", "_refusal", INGEST_COLUMN, *PARTITION_COLUMNS}
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
            # Not "reason": a coffee record has a field of that name.
            refusal_reason().alias("_refusal"),
        ).persist()
        try:
            accepted = records.where(F.col("_refusal").isNull())
            refused = records.where(F.col("_refusal").isNotNull())
            telemetry = telemetry_rows(accepted)
            coffees = coffee_rows(accepted)
            telemetry.write.mode("append").partitionBy(*PARTITION_COLUMNS).parquet(curated["telemetry"])
            coffees.write.mode("append").partitionBy(*PARTITION_COLUMNS).parquet(curated["coffees"])
            refused_count = refused.count()
            if refused_count > 0:
                error_lines(refused, batch_id).write.mode("append").partitionBy(*PARTITION_COLUMNS).json(errors_path)
            # One line per batch with the counts (CloudWatch, the job's output log).
            print(
                f"batch {batch_id}: {records.count()} record(s), {telemetry.count()} reading row(s), "
                f"{coffees.count()} coffee row(s), {refused_count} refused to errors/"
            )
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
