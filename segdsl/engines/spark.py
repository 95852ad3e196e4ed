"""Apache Spark: local mode, a standalone master, Spark Connect, or a given SparkSession.

File sources of the model (.parquet, .csv with a header, .json) are read
where the model names them and registered as temporary views. Spark has no
read-only transactions; only SELECTs are run on the sources. The session's
time zone is UTC.

Members leave Spark as its users expect: in local mode Spark's own parallel
writer writes Parquet into a folder beside the output, whose parts are then
streamed into the one file asked for (a folder output keeps Spark's parts,
renamed into place); through Spark Connect, Arrow batches arrive over gRPC
and are written as they come.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa
from sqlglot import exp

from ..sql.options import OutputColumn
from ..lang.diagnostics import SegError, error, reason
from ..semantic.model import T
from .files import csv_without_rows
from .base import Engine, need, unreachable
from .url import TargetURL


def column_type(data_type: Any) -> T:
    name = type(data_type).__name__
    if name == "BooleanType":
        return T.BOOL
    if name in ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType"):
        return T.NUMBER
    if name in ("StringType", "VarcharType", "CharType"):
        return T.TEXT
    if name == "DateType":
        return T.DATE
    if name in ("TimestampType", "TimestampNTZType"):
        return T.TIMESTAMP
    return T.ANY


def quiet_warnings() -> None:
    """pyspark warns about pandas versions and deprecations on import: library talk, not for the user."""
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\..*)?")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pyspark(\..*)?")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pyspark(\..*)?")


class SparkEngine(Engine):
    dialect = "spark"
    reads_files = True

    def __init__(self, url: TargetURL | None, root: Path, write: bool = False, connection: Any = None):
        super().__init__(url, root)
        quiet_warnings()
        self.owned = connection is None
        self.views: dict[str, str] = {}
        if connection is not None:
            self.spark = connection
        else:
            need("pyspark", "spark")
            try:
                if url.scheme == "sc":
                    need("grpc", "spark-connect", what="spark")  # Spark Connect speaks gRPC
                    try:
                        from pyspark.sql.connect.session import SparkSession as ConnectSession

                        # a session of this process to that server is used, and left open; built by the
                        # Connect client itself, so that a local session in this process does not stand in its way
                        self.owned = ConnectSession.getActiveSession() is None
                        self.spark = ConnectSession.builder.remote(
                            f"sc://{url.host}:{url.port or 15002}").getOrCreate()
                    except ImportError as exc:
                        raise error("SEG314", f"Spark Connect needs more packages: {reason(exc)}", None,
                                    "install them: pip install 'segdsl[spark-connect]'") from None
                    # the session is the server's; a probe tells an unreachable server at once
                    self.spark.sql("SELECT 1").collect()
                else:
                    from pyspark.sql import SparkSession

                    # a session already running in this process is used, and left running
                    active = SparkSession.getActiveSession()
                    self.owned = active is None
                    self.spark = active if active is not None else _start(url)
            except SegError:
                raise
            except Exception as exc:  # noqa: BLE001 - py4j/grpc errors have no common base
                raise unreachable(url, exc) from None
        from pyspark.errors import PySparkException

        self.errors = (PySparkException, OSError, pa.ArrowException)
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")

    @property
    def connect(self) -> bool:
        """Whether the session is a Spark Connect client (the data and its files are on the server)."""
        return type(self.spark).__module__.startswith("pyspark.sql.connect")

    @property
    def local(self) -> bool:
        """Whether Spark runs on this machine, so that its writer's files are ours to read."""
        return not self.connect and str(self.spark.sparkContext.master).startswith("local")

    def source(self, source: str) -> exp.Expression:
        if not self.is_file_source(source):
            return super().source(source)
        if source not in self.views:
            suffix = Path(source).suffix.lower()
            path = str((self.root / source).resolve())
            reader = self.spark.read
            header_only = csv_without_rows(Path(path)) if suffix == ".csv" else None
            if header_only is not None:  # an empty source with untyped columns (engines.files)
                frame = self.spark.sql(exp.select(*[exp.alias_(exp.Null(), n, quoted=True) for n in header_only])
                                       .where(exp.false()).sql("spark"))
            elif suffix == ".csv":
                frame = reader.option("header", True).option("inferSchema", True).csv(path)
            elif suffix == ".parquet":
                frame = reader.parquet(path)
            else:
                frame = reader.json(path)
            frame = _nan_as_null(frame)
            view = f"segdsl_{re.sub(r'[^A-Za-z0-9_]', '_', Path(source).stem)}_{uuid.uuid4().hex[:8]}"
            frame.createOrReplaceTempView(view)
            self.views[source] = view
        return exp.Table(this=exp.to_identifier(self.views[source], quoted=True))

    def columns(self, table: exp.Expression) -> dict[str, T]:
        frame = self.spark.sql(exp.select(exp.Star()).from_(table).limit(0).sql("spark"))
        return {f.name: column_type(f.dataType) for f in frame.schema.fields}

    def fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        frame = self.spark.sql(sql)

        def quoted(name: str) -> str:
            return "`" + name.replace("`", "``") + "`"

        # Python turns Spark timestamps into local wall-clock times; text in the session's UTC is exact.
        # SQL expressions, not pyspark.sql.functions: those follow the kind of session made first in
        # this process, which may not be this one's.
        cols = [f"date_format({quoted(f.name)}, 'yyyy-MM-dd HH:mm:ss.SSSSSS') AS {quoted(f.name)}"
                if column_type(f.dataType) is T.TIMESTAMP else quoted(f.name) for f in frame.schema.fields]
        frame = frame.selectExpr(*cols)
        return list(frame.columns), [tuple(r) for r in frame.collect()]

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def cancel(self) -> None:
        super().cancel()
        try:
            if self.connect:
                self.spark.interruptAll()
            else:
                self.spark.sparkContext.cancelAllJobs()
        except Exception:  # noqa: BLE001 - best effort: the job may have ended
            pass

    # ── results ─────────────────────────────────────────────────────────────
    def arrow(self, sql: str) -> pa.RecordBatchReader:
        frame = self.spark.sql(sql)
        if self.connect:
            return _connect_batches(frame)
        if not self.local:
            return pa.RecordBatchReader.from_batches(*_whole(frame))
        folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"segdsl-spark-{uuid.uuid4().hex}"
        self._write_parquet(frame, str(folder))
        return _folder_reader(folder)

    def _write_parquet(self, frame: Any, location: str) -> None:
        self.spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        frame.write.mode("errorifexists").parquet(location)

    def export(self, sql: str, path: Path, columns: Sequence[OutputColumn], tally: Any = None) -> int:
        """Local mode: Spark writes Parquet parts into a folder beside the output; they are streamed
        into the one file (counted on the way), and the folder removed whatever happens."""
        if not self.local:
            return super().export(sql, path, columns, tally)
        from .arrow import check_output_path, conformed, write_stream

        path = check_output_path(path)
        folder = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.parts"
        try:
            self._write_parquet(self.spark.sql(sql), str(folder.resolve()))
            return write_stream(conformed(_folder_reader(folder, remove=False), columns), path, tally,
                                stopped=lambda: self.cancelled)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def export_folder(self, sql: str, location: str, tally: Any) -> int:
        """A folder output (`--output members/` or a remote URI): Spark's own partitioned Parquet files,
        written beside it and renamed into place, with the sizes counted by Spark over what was written."""
        frame = self.spark.sql(sql).cache()
        try:
            staging = location.rstrip("/") + f".segdsl-{uuid.uuid4().hex[:8]}"
            self._write_parquet(frame, staging)
            written = self.spark.read.parquet(staging)
            view = f"segdsl_written_{uuid.uuid4().hex[:8]}"
            written.createOrReplaceTempView(view)
            self.summary(exp.Table(this=exp.to_identifier(view, quoted=True)), tally)
            self.spark.catalog.dropTempView(view)
            _replace_folder(self.spark, staging, location)
            return tally.total
        finally:
            frame.unpersist()

    def keep(self, name: str, query: exp.Select) -> exp.Expression:
        from ..sql.compile import to_sql

        view = f"{name}_{uuid.uuid4().hex[:8]}"
        self.spark.sql(to_sql(query, "spark", pretty=False)).createOrReplaceTempView(view)
        self.spark.sql(f"CACHE TABLE `{view}`")  # computed now, once; dropping the view frees it
        self.views[f"<{view}>"] = view
        return exp.Table(this=exp.to_identifier(view, quoted=True))

    def swap(self, new: exp.Table, table: exp.Table) -> None:
        # Plain Spark tables cannot be swapped atomically: the new table is complete
        # before the old one is dropped, and a failure before that keeps the old one.
        self.execute(f"DROP TABLE IF EXISTS {table.sql('spark')}")
        self.execute(f"ALTER TABLE {new.sql('spark')} RENAME TO {table.sql('spark')}")

    def close(self) -> None:
        for view in self.views.values():
            try:
                self.spark.catalog.dropTempView(view)
            except Exception:  # noqa: BLE001 - best effort
                pass
        if self.owned:
            self.spark.stop()


def _start(url: TargetURL) -> Any:
    """A Spark session for a spark:// URL, its JVM's own output kept out of the user's terminal.

    The JVM writes start-up notices and log lines to the standard error it
    inherits; segdsl starts it with its output going to a log file instead
    (named in the SEG313 diagnostic when Spark cannot start).
    """
    import tempfile

    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    master = url.host if url.host.startswith("local") else f"spark://{url.host}:{url.port or 7077}"
    conf = SparkConf().setMaster(master).setAppName("segdsl").set("spark.sql.session.timeZone", "UTC") \
        .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
    if url.params.get("warehouse"):
        conf = conf.set("spark.sql.warehouse.dir", url.params["warehouse"])
    log = tempfile.NamedTemporaryFile(prefix="segdsl-spark-", suffix=".log", delete=False)  # noqa: SIM115
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
    except Exception as exc:  # noqa: BLE001 - the JVM's reason is in its log
        raise RuntimeError(f"{exc} (Spark's output is in {log.name})") from exc
    context = SparkContext(conf=conf, gateway=gateway)
    context.setLogLevel("ERROR")
    return SparkSession(context)


def _folder_reader(folder: Path, remove: bool = True) -> pa.RecordBatchReader:
    """The Parquet parts Spark wrote into a folder, as one stream of batches (removed after, if asked)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(str(folder), format="parquet", exclude_invalid_files=True)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from dataset.to_batches()
        finally:
            if remove:
                shutil.rmtree(folder, ignore_errors=True)

    return pa.RecordBatchReader.from_batches(dataset.schema, batches())


def _connect_batches(frame: Any) -> pa.RecordBatchReader:
    """Arrow batches of a Spark Connect result as they arrive (the whole table where the client has no iterator)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    schema = to_arrow_schema(frame.schema, timezone="UTC")
    client = frame._session.client
    if not hasattr(client, "to_table_as_iterator"):
        return pa.RecordBatchReader.from_batches(schema, frame.toArrow().to_batches())
    plan = frame._plan.to_proto(client)

    def batches() -> Iterator[pa.RecordBatch]:
        for part in client.to_table_as_iterator(plan, frame._plan.observations):
            if isinstance(part, pa.Table):
                yield from part.cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def _whole(frame: Any) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    """A result collected at once, as Arrow (a cluster's executors cannot write files this machine reads)."""
    table = frame.toArrow()
    return table.schema, table.to_batches()


def _replace_folder(spark: Any, staging: str, location: str) -> None:
    """Put a written folder in place of `location` through Hadoop's file system (local or remote)."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    src = jvm.org.apache.hadoop.fs.Path(staging)
    dst = jvm.org.apache.hadoop.fs.Path(location.rstrip("/"))
    fs = src.getFileSystem(conf)
    old = None
    if fs.exists(dst):
        old = jvm.org.apache.hadoop.fs.Path(location.rstrip("/") + f".segdsl-old-{uuid.uuid4().hex[:8]}")
        fs.rename(dst, old)
    if not fs.rename(src, dst):
        if old is not None:
            fs.rename(old, dst)
        raise OSError(f"cannot move the written files to {location}")
    if old is not None:
        fs.delete(old, True)


def _nan_as_null(frame: Any) -> Any:
    """NaN in a floating-point column of a data file is missing, as on every engine (engines.files).

    SQL expressions, not pyspark.sql.functions: those follow the kind of session made first in the
    process, and fail on a Spark Connect session built by its own client (as `fetch` notes)."""
    from pyspark.sql.types import DoubleType, FloatType

    floats = {f.name for f in frame.schema.fields if isinstance(f.dataType, (DoubleType, FloatType))}
    if not floats:
        return frame

    def quoted(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    return frame.selectExpr(*[f"CASE WHEN isnan({quoted(n)}) THEN NULL ELSE {quoted(n)} END AS {quoted(n)}"
                              if n in floats else quoted(n) for n in frame.columns])
