"""The benchmark suite of issue 7: our figures and their baselines, side by side.

Run from the project folder::

    .venv/bin/python -m tests.benchmarks            # full size (a few minutes)
    .venv/bin/python -m tests.benchmarks --quick    # small N, fewer repeats (what CI runs)
    .venv/bin/python -m tests.benchmarks --json results.json

Every baseline is measured in the same run, on the same machine and bytes:
``lxml.etree.fromstring``; lxml plus a hand-written extraction into dicts;
xsdata's generic ``XmlParser`` / ``XmlSerializer`` on dataclasses that the
``xsdata generate`` CLI writes into a temporary folder for this run; a
hand-built lxml ``SubElement`` + ``tostring`` create request; the
``xsdata generate`` CLI on the same schemas; a bare ``python -c pass``.
Timings are the best of several runs, with the garbage collector on.

The exit status is 0 when the suite ran, whatever the figures say (``--strict``
makes a FAIL exit 1); unit tests check that it runs, never its timings.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from .paths import GENERATED_DIR, PROJECT_DIR, console_script
from .timing import command_time, per_call

if str(GENERATED_DIR) not in sys.path:
    sys.path.insert(0, str(GENERATED_DIR))
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

VERSION = "1.6.9.1"
PASS, FAIL, INFO = "PASS", "FAIL", "info"


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full suite or the quick one CI runs."""

    quick: bool
    parse_sizes: tuple[int, ...]
    create_sizes: tuple[int, ...]
    memory_size: int
    repeat: int
    min_time: float
    memory_runs: int
    generation_runs: int
    cold_start_runs: int
    accounts: int = 1000
    chunk_size: int = 100
    bulk_rows: int = 1_000_000
    fleet_servers: int = 50
    fleet_async_servers: int = 500
    fleet_latency: float = 0.2

    @classmethod
    def for_mode(cls, quick: bool) -> Settings:
        if quick:
            return cls(
                quick=True,
                parse_sizes=(100, 1000),
                create_sizes=(100, 1000),
                memory_size=1000,
                repeat=3,
                min_time=0.02,
                memory_runs=1,
                generation_runs=1,
                cold_start_runs=5,
                bulk_rows=20_000,
                fleet_servers=6,
                fleet_async_servers=20,
            )
        return cls(
            quick=False,
            parse_sizes=(100, 1000, 10_000),
            create_sizes=(100, 1000),
            memory_size=10_000,
            repeat=7,
            min_time=0.2,
            memory_runs=3,
            generation_runs=3,
            cold_start_runs=20,
        )


@dataclass
class Row:
    """One line of the table. ``ratio`` is ours / baseline where that makes sense."""

    key: str
    figure: str
    ours: str
    baseline: str
    ratio: float | None
    goal: str
    result: str
    values: dict[str, float] = field(default_factory=dict)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def ratio_row(
    key: str,
    figure: str,
    ours: float,
    baseline: float,
    baseline_label: str,
    limit: float | None,
    fmt: Callable[[float], str] = _ms,
) -> Row:
    """A row comparing two measurements; ``limit`` None makes it informational."""
    ratio = ours / baseline if baseline else math.inf
    if limit is None:
        goal, result = "", INFO
    else:
        goal, result = f"<= {limit:g}x", PASS if ratio <= limit else FAIL
    return Row(
        key=key,
        figure=figure,
        ours=fmt(ours),
        baseline=f"{fmt(baseline)} {baseline_label}",
        ratio=ratio,
        goal=goal,
        result=result,
        values={"ours": ours, "baseline": baseline},
    )


# -- stock xsdata models ------------------------------------------------------


def stock_models(folder: Path) -> Any:
    """xsdata's own dataclasses for the benchmarked version, made for this run."""
    from tests.support.stock_xsdata import stock_models as make

    return make(VERSION, folder / "stock")


def codec_module() -> ModuleType:
    import importlib

    return importlib.import_module(f"plesk_mail.v{VERSION.replace('.', '_')}")


# -- figures --------------------------------------------------------------------


def _timer(settings: Settings) -> Callable[[Callable[[], Any]], float]:
    def timed(func: Callable[[], Any]) -> float:
        return per_call(func, repeat=settings.repeat, min_time=settings.min_time)

    return timed


def _render(serializer: Any, obj: Any) -> bytes:
    """xsdata's serializer renders text; encode it, as our codec returns bytes."""
    return str(serializer.render(obj)).encode()


def parse_rows(settings: Settings, m: ModuleType, stock: Any) -> list[Row]:
    """get_info responses of N accounts into typed results, against lxml alone."""
    from lxml import etree
    from xsdata.formats.dataclass.parsers import XmlParser

    from . import payloads

    rows: list[Row] = []
    timed = _timer(settings)
    xsdata_parser = XmlParser()
    for n in settings.parse_sizes:
        data = payloads.get_info_response(m, n)
        decoded = m.decode_response(data)
        assert len(decoded.replies[0].body.results) == n
        assert len(payloads.lxml_dicts(data)) == n

        lxml_time = timed(partial(etree.fromstring, data))
        ours = timed(partial(m.decode_response, data))
        dicts = timed(partial(payloads.lxml_dicts, data))
        generic = timed(partial(xsdata_parser.from_bytes, data, stock.response_packet))
        label = "lxml.fromstring"
        rows.append(
            ratio_row(
                f"parse.{n}", f"parse get_info N={n:,}", ours, lxml_time, label, 3
            )
        )
        rows.append(
            ratio_row(
                f"parse.{n}.lxml_dicts",
                "  (lxml + dicts, hand-written)",
                dicts,
                lxml_time,
                label,
                None,
            )
        )
        rows.append(
            ratio_row(
                f"parse.{n}.xsdata",
                "  (xsdata generic XmlParser)",
                generic,
                lxml_time,
                label,
                None,
            )
        )
    return rows


def serialise_rows(settings: Settings, m: ModuleType, stock: Any) -> list[Row]:
    """A create request of N accounts to bytes, against hand-built lxml."""
    from xsdata.formats.dataclass.parsers import XmlParser
    from xsdata.formats.dataclass.serializers import XmlSerializer
    from xsdata.formats.dataclass.serializers.config import SerializerConfig

    from . import payloads

    rows: list[Row] = []
    timed = _timer(settings)
    serializer = XmlSerializer(
        config=SerializerConfig(xml_declaration=True, encoding="UTF-8")
    )
    for n in settings.create_sizes:
        accounts = payloads.new_accounts(m, n)
        packet = payloads.create_request(m, accounts)
        data = m.encode_request(packet)
        # The baseline must do the same work: byte-identical output.
        assert payloads.lxml_create(VERSION, 1, accounts) == data
        generic_packet = XmlParser().from_bytes(data, stock.request_packet)

        hand = timed(partial(payloads.lxml_create, VERSION, 1, accounts))
        ours = timed(partial(m.encode_request, packet))
        generic = timed(partial(_render, serializer, generic_packet))
        label = "hand-built lxml"
        rows.append(
            ratio_row(
                f"serialise.{n}",
                f"serialise create N={n:,}",
                ours,
                hand,
                label,
                1.5,
            )
        )
        rows.append(
            ratio_row(
                f"serialise.{n}.xsdata",
                "  (xsdata generic XmlSerializer)",
                generic,
                hand,
                label,
                None,
            )
        )
    return rows


def _memory_peak(mode: str, path: Path, runs: int) -> tuple[float, bool]:
    """Smallest RSS peak growth (KiB) of decoding ``path`` over ``runs`` processes."""
    best, exact = math.inf, True
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.memory", mode, VERSION, str(path)],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout)
        best = min(best, float(result["peak_kib"]))
        exact = exact and bool(result["exact"])
    return best, exact


def memory_rows(settings: Settings, m: ModuleType, folder: Path) -> list[Row]:
    from . import payloads

    n = settings.memory_size
    path = folder / f"get_info_{n}.xml"
    path.write_bytes(payloads.get_info_response(m, n))
    ours, exact_ours = _memory_peak("ours", path, settings.memory_runs)
    lxml_dicts, exact_lxml = _memory_peak("lxml", path, settings.memory_runs)
    row = ratio_row(
        f"memory.{n}",
        f"peak memory, decode N={n:,}",
        ours,
        lxml_dicts,
        "lxml + dicts",
        2,
        fmt=_mib,
    )
    if not (exact_ours and exact_lxml):
        row.figure += " (lifetime peak)"
    return [row]


def generation_rows(settings: Settings, folder: Path) -> list[Row]:
    """Full generation and ``--check`` against the xsdata CLI on the same schemas."""
    from tests.support.protocols import VERSIONS
    from tests.support.stock_xsdata import cli_environment, generate_command

    output = folder / "generated"
    mailgen = [str(console_script("plesk-mailgen")), "generate"]
    runs = settings.generation_runs
    cwd = str(PROJECT_DIR)
    full = command_time(
        [*mailgen, "--force", "--output", str(output)], repeat=runs, cwd=cwd
    )
    check = command_time(
        [*mailgen, "--check", "--output", str(output)], repeat=runs, cwd=cwd
    )
    unchanged = command_time([*mailgen, "--output", str(output)], repeat=runs, cwd=cwd)
    commands = [
        generate_command(
            version,
            folder / "xsdata-cli" / version,
            compound_fields=False,
            single_package=False,
        )
        for version in VERSIONS
    ]
    env = cli_environment()
    xsdata_cli = sum(
        command_time(command, repeat=runs, cwd=str(cwd_), env=env)
        for command, cwd_ in commands
    )
    return [
        ratio_row(
            "generate",
            f"generate {len(VERSIONS)} versions (black)",
            full,
            xsdata_cli,
            f"xsdata generate x{len(VERSIONS)}",
            1.0,
            fmt=_s,
        ),
        *generation_stage_rows(full),
        ratio_row(
            "generate.check",
            "generate --check, unchanged",
            check,
            full,
            "full generation",
            0.2,
            fmt=_s,
        ),
        ratio_row(
            "generate.unchanged",
            "generate, nothing changed (writes nothing)",
            unchanged,
            check,
            "generate --check",
            1.25,
            fmt=_s,
        ),
    ]


def _stage_key(stage: str) -> str:
    return stage.split(":")[0].split()[0]


def generation_stage_rows(full: float) -> list[Row]:
    """Where a generation's time goes, in process, against the whole command.

    What the stages leave of the command's time is interpreter start, imports
    and writing the tree. The last row formats with ``black.format_str`` (a
    second pass wherever the first changed the text) instead of one pass.
    """
    from black import format_str
    from plesk_mailgen import formatting
    from plesk_mailgen.pipeline import generate_files

    timings: dict[str, float] = {}
    one_pass = generate_files(PROJECT_DIR, timings=timings)
    rows = [
        ratio_row(
            f"generate.{_stage_key(stage)}",
            f"  ({stage})",
            t,
            full,
            "command",
            None,
            _s,
        )
        for stage, t in timings.items()
    ]
    black_stage = next(stage for stage in timings if stage.startswith("black"))
    two_timings: dict[str, float] = {}
    once = formatting._format_once
    formatting._format_once = format_str
    try:
        two_passes = generate_files(PROJECT_DIR, timings=two_timings)
    finally:
        formatting._format_once = once
    same = "identical output" if two_passes == one_pass else "OUTPUT DIFFERS"
    rows.append(
        ratio_row(
            "generate.black.format_str",
            f"  (black.format_str instead, two passes; {same})",
            two_timings[black_stage],
            timings[black_stage],
            "one pass",
            None,
            _s,
        )
    )
    return rows


def _accounts_csv(path: Path, count: int) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "alias", "mailbox-enabled", "mailbox-quota"])
        for i in range(count):
            writer.writerow([f"cli{i:05d}", f"c{i}", "true", "1G"])


def round_trip_rows(settings: Settings, m: ModuleType, folder: Path) -> list[Row]:
    """Create N accounts through the client and through the CLI; count requests."""
    import plesk_mail

    from tests.emulator.fixtures import SITE_ID, new_emulator
    from tests.emulator.tls import make_tls

    from . import payloads

    count, chunk = settings.accounts, settings.chunk_size
    bound = math.ceil(count / chunk)
    tls = make_tls(folder / "tls")
    rows: list[Row] = []

    def row(key: str, figure: str, requests: int, seconds: float) -> Row:
        return Row(
            key=key,
            figure=figure,
            ours=f"{requests} requests, {seconds:.1f} s",
            baseline=f"{bound} = ceil({count:,}/{chunk})",
            ratio=requests / bound,
            goal="<= 1x",
            result=PASS if requests <= bound else FAIL,
            values={"ours": requests, "baseline": bound, "seconds": seconds},
        )

    emulator = new_emulator(tls).start()
    try:
        with plesk_mail.connect(
            "127.0.0.1",
            login=emulator.login,
            password=emulator.password,
            port=emulator.port,
            verify=str(tls.ca_file),
            protocol=VERSION,
            chunk_size=chunk,
        ) as client:
            start = time.perf_counter()
            results = client.create(
                site_id=SITE_ID, mailnames=payloads.new_accounts(m, count)
            )
            seconds = time.perf_counter() - start
        results.raise_for_errors()
        assert len(list(results)) == count
        rows.append(
            row(
                "round_trips.client",
                f"create {count:,}, client",
                len(emulator.exchanges),
                seconds,
            )
        )
    finally:
        _stop(emulator)

    rows_file = folder / "accounts.csv"
    _accounts_csv(rows_file, count)
    emulator = new_emulator(tls).start()
    try:
        env = dict(os.environ)
        env.update(
            PLESK_HOST="127.0.0.1",
            PLESK_PORT=str(emulator.port),
            PLESK_LOGIN=emulator.login,
            PLESK_PASSWORD=emulator.password,
            PLESK_CA_FILE=str(tls.ca_file),
            PLESK_PROTOCOL=VERSION,  # as the client's run: chunking, not negotiation
        )
        env.pop("PLESK_SECRET_KEY", None)
        start = time.perf_counter()
        done = subprocess.run(
            [
                *_plesk_mail_command(),
                "--chunk-size",
                str(chunk),
                "--json",
                "create",
                "--site-id",
                str(SITE_ID),
                "--from-file",
                str(rows_file),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"plesk-mail create failed:\n{done.stderr[-2000:]}")
        document = json.loads(done.stdout)
        assert document["ok"] and len(document["results"]) == count, done.stdout[:500]
        rows.append(
            row(
                "round_trips.cli",
                f"create {count:,}, CLI",
                len(emulator.exchanges),
                seconds,
            )
        )
    finally:
        _stop(emulator)
    return rows


def bulk_rows(settings: Settings, folder: Path) -> list[Row]:
    """Peak memory of ``plesk-mail create --from-file``: a big file against 1,000 rows."""
    from . import bulk

    command = _plesk_mail_command()
    measured = {}
    for count in (1000, settings.bulk_rows):
        rows = folder / f"bulk-{count}.csv"
        size = bulk.write_rows(rows, count)
        measured[count] = {**bulk.peak_of_run(command, rows, folder), "bytes": size}
        rows.unlink()
    small, big = measured[1000], measured[settings.bulk_rows]
    ratio = big["peak_kib"] / small["peak_kib"]
    mib = big["peak_kib"] / 1024
    return [
        Row(
            key="bulk.memory",
            figure=f"peak memory, CLI create {settings.bulk_rows:,} rows "
            f"({big['bytes'] / 2**20:.0f} MB CSV)",
            ours=f"{mib:.0f} MiB",
            baseline=f"{small['peak_kib'] / 1024:.0f} MiB with 1,000 rows",
            ratio=ratio,
            goal="<= 200 MiB",
            result=PASS if mib <= 200 else FAIL,
            values={"ours": big["peak_kib"], "baseline": small["peak_kib"]},
        ),
        Row(
            key="bulk.seconds",
            figure=f"time, CLI create {settings.bulk_rows:,} rows (fast server)",
            ours=f"{big['seconds']:.1f} s ({settings.bulk_rows / big['seconds']:,.0f} rows/s)",
            baseline=f"{small['seconds']:.2f} s with 1,000 rows",
            ratio=None,
            goal="",
            result=INFO,
            values={"ours": big["seconds"], "baseline": small["seconds"]},
        ),
    ]


def fleet_rows(settings: Settings, folder: Path) -> list[Row]:
    """One command on many servers: sequential, fleet CLI, and the async API."""
    from . import fleet

    latency, count = settings.fleet_latency, settings.fleet_servers
    servers, config, tls = fleet.servers(count, latency, folder)
    try:
        one_after_another = fleet.sequential(servers, tls)
        command = _plesk_mail_command()
        single = fleet.cli(command, config, "--server", "emu0")["seconds"]
        many = fleet.cli(command, config, "--servers", "all")["seconds"]
    finally:
        servers.stop()
    big = settings.fleet_async_servers
    servers, config, tls = fleet.servers(big, latency, folder)
    try:
        api = fleet.python_api(config, parallel=big)
    finally:
        servers.stop()
    ms = f"{latency * 1000:.0f} ms"
    fast = many <= 1.5 and one_after_another >= 10
    mib = api["peak_kib"] / 1024
    return [
        Row(
            key="fleet.cli",
            figure=f"get-info on {count} servers ({ms} each), plesk-mail --servers all",
            ours=_s(many),
            baseline=f"{one_after_another:.1f} s one after another",
            ratio=many / one_after_another,
            goal="<= 1.5 s where sequential >= 10 s",
            result=PASS if fast else FAIL,
            values={"ours": many, "baseline": one_after_another},
        ),
        Row(
            key="fleet.single",
            figure=f"the same, against one server alone ({ms})",
            ours=_s(many),
            baseline=f"{single:.2f} s one server",
            ratio=many / single,
            goal="< 2x",
            result=PASS if many < 2 * single else FAIL,
            values={"ours": many, "baseline": single},
        ),
        Row(
            key="fleet.async",
            figure=f"get-info on {big} servers ({ms} each), async Python API",
            ours=f"{api['seconds']:.2f} s, {mib:.0f} MiB",
            baseline=f"{2 * latency:.2f} s = 2 round trips",
            ratio=api["seconds"] / (2 * latency),
            goal="< 3 s, < 300 MiB",
            result=PASS if api["seconds"] < 3 and mib < 300 else FAIL,
            values={
                "ours": api["seconds"],
                "baseline": 2 * latency,
                "peak_kib": api["peak_kib"],
            },
        ),
    ]


def _stop(emulator: Any) -> None:
    emulator.stop()
    close = getattr(emulator.store, "close", None)  # newer stores hold resources
    if close is not None:
        close()


def _plesk_mail_command() -> list[str]:
    script = console_script("plesk-mail")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "plesk_mail"]


def user_venv(folder: Path) -> Path:
    """A new virtual environment holding the generated package and its
    dependencies only, as a user installs it: the development environment
    holds more (httpx imports its own command line when rich is there)."""
    venv = folder / "user-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         str(GENERATED_DIR)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return python


def cold_start_rows(settings: Settings, folder: Path) -> list[Row]:
    """Whole ``plesk-mail`` processes in a user's environment, minus a bare
    interpreter start: ``--help``, and the start of a single-server command
    (``enable`` against a loopback emulator, minus the same connection and
    call made in a warm process)."""
    import plesk_mail

    from tests.emulator.fixtures import new_emulator
    from tests.emulator.tls import make_tls
    from tests.support.protocols import VERSIONS

    python = user_venv(folder)
    plesk = [str(python.with_name("plesk-mail"))]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    tls = make_tls(folder / "tls-cold")
    emulator = new_emulator(tls).start()
    env.update(
        PLESK_HOST=f"127.0.0.1:{emulator.port}",
        PLESK_PASSWORD=emulator.password,
        PLESK_CA_FILE=str(tls.ca_file),
        PLESK_PROTOCOL=VERSIONS[-1],
    )
    for name in ("PLESK_PORT", "PLESK_SECRET_KEY", "PLESK_LOGIN"):
        env.pop(name, None)
    command = [*plesk, "enable", "--site-id", "1"]

    def warm_call() -> float:
        started = time.perf_counter()
        with plesk_mail.connect(
            "127.0.0.1",
            port=emulator.port,
            password=emulator.password,
            verify=str(tls.ca_file),
            protocol=VERSIONS[-1],
        ) as client:
            client.enable(site_id=1)
        return time.perf_counter() - started

    runs = settings.cold_start_runs
    # Alternate the runs so that drift in machine load hits all alike.
    bare = help_ = whole = call = math.inf
    try:
        warm_call()
        for _ in range(runs):
            bare = min(
                bare, command_time([str(python), "-c", "pass"], repeat=1, env=env)
            )
            help_ = min(help_, command_time([*plesk, "--help"], repeat=1, env=env))
            whole = min(whole, command_time(command, repeat=1, env=env))
            call = min(call, warm_call())
    finally:
        _stop(emulator)
    limit = 0.100
    start = whole - bare - call
    return [
        Row(
            key="cold_start",
            figure="plesk-mail --help, cold start",
            ours=f"+{(help_ - bare) * 1000:.0f} ms ({help_ * 1000:.0f} ms)",
            baseline=f"{bare * 1000:.0f} ms python -c pass",
            ratio=None,
            goal=f"<= +{limit * 1000:.0f} ms",
            result=PASS if help_ - bare <= limit else FAIL,
            values={"ours": help_, "baseline": bare, "extra": help_ - bare},
        ),
        Row(
            key="cold_start.command",
            figure="start of a single-server command (enable)",
            ours=f"+{start * 1000:.0f} ms ({whole * 1000:.0f} ms whole)",
            baseline=f"{bare * 1000:.0f} ms bare + {call * 1000:.0f} ms the call",
            ratio=None,
            goal=f"<= +{limit * 1000:.0f} ms",
            result=PASS if start <= limit else FAIL,
            values={"ours": whole, "baseline": bare + call, "extra": start},
        ),
    ]


# -- table ----------------------------------------------------------------------

COLUMNS = ("figure", "ours", "baseline", "ratio", "goal", "result")


def render_table(rows: Sequence[Row], settings: Settings) -> str:
    cells = [
        [
            row.figure,
            row.ours,
            row.baseline,
            "" if row.ratio is None else f"{row.ratio:.2f}x",
            row.goal,
            row.result,
        ]
        for row in rows
    ]
    widths = [
        max(len(COLUMNS[i]), *(len(line[i]) for line in cells))
        for i in range(len(COLUMNS))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.ljust(w) for v, w in zip(values, widths, strict=True)
        ).rstrip()

    goals = [row for row in rows if row.result in (PASS, FAIL)]
    passed = sum(row.result == PASS for row in goals)
    mode = "quick" if settings.quick else "full"
    head = (
        f"plesk-mail benchmark ({mode}), protocol {VERSION}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)"
    )
    return "\n".join(
        [
            head,
            "",
            line(COLUMNS),
            line(["-" * w for w in widths]),
            *(line(c) for c in cells),
            "",
            f"{passed} of {len(goals)} goals pass",
        ]
    )


SECTIONS: tuple[str, ...] = (
    "parse",
    "serialise",
    "memory",
    "generate",
    "round_trips",
    "bulk",
    "fleet",
    "cold_start",
)


def run(settings: Settings, progress: TextIO | None = None) -> list[Row]:
    """Measure every figure; ``progress`` gets one line per section."""
    m = codec_module()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="plesk-bench-") as tmp:
        folder = Path(tmp)
        stock = stock_models(folder)
        sections: dict[str, Callable[[], list[Row]]] = {
            "parse": lambda: parse_rows(settings, m, stock),
            "serialise": lambda: serialise_rows(settings, m, stock),
            "memory": lambda: memory_rows(settings, m, folder),
            "generate": lambda: generation_rows(settings, folder),
            "round_trips": lambda: round_trip_rows(settings, m, folder),
            "bulk": lambda: bulk_rows(settings, folder),
            "fleet": lambda: fleet_rows(settings, folder),
            "cold_start": lambda: cold_start_rows(settings, folder),
        }
        for name in SECTIONS:
            if progress is not None:
                print(f"... {name}", file=progress, flush=True)
            rows.extend(sections[name]())
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description="Benchmark the generated codecs, generator and client "
        "against lxml, xsdata and the xsdata CLI (issue 7).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small N and few repeats (CI)"
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the rows as JSON"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a goal fails"
    )
    args = parser.parse_args(argv)
    settings = Settings.for_mode(args.quick)
    rows = run(settings, progress=sys.stderr)
    print(render_table(rows, settings))
    if args.json is not None:
        document = {
            "mode": "quick" if settings.quick else "full",
            "protocol": VERSION,
            "python": sys.version.split()[0],
            "rows": [asdict(row) for row in rows],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    failed = any(row.result == FAIL for row in rows)
    return 1 if args.strict and failed else 0
