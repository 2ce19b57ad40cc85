"""The README and docs/*.md against the product: every count, column list, setting and command output
they quote is the product's, and every relative link leads somewhere.

The sample's figures come from one run of `make demo`'s runner on data/ (the shared `demo_run` fixture
runs on generated data, not on the sample the docs quote)."""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import subprocess
import sys

import duckdb
import pytest

from cloud_pipeline.cli import parser as cloud_parser
from cloud_pipeline.run_summary import lines as run_summary_lines
from etl.config import REQUIRED_ARGUMENTS, THRESHOLD_ARGUMENTS, EtlConfig
from etl.contract import AUDIO_FEATURE_RANGES, TRACKS_SCHEMA
from etl.history import HISTORY_TABLES, RUN_STATUSES
from etl.layouts import IGNORED_FILES, KAGGLE_LAYOUT, WORKSHOP_LAYOUT
from local_pipeline import athena
from local_pipeline.paths import Layout
from sql.queries import load_named_queries
from stacks.settings import CONTEXT_KEYS, Settings, settings_from_context
from tests.conftest import ROOT
from view.insights import INSIGHTS, QUICKSIGHT_INSIGHTS

DOCS = os.path.join(ROOT, "docs")
README = os.path.join(ROOT, "README.md")
PAGES = [README, *sorted(glob.glob(os.path.join(DOCS, "*.md")))]


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def flat(text: str) -> str:
    """White space collapsed, so that a quote wrapped over two lines still matches."""
    return " ".join(text.split())


def doc(name: str) -> str:
    return read(os.path.join(DOCS, name))


def section(text: str, heading: str) -> str:
    """The body of the section `heading` (a whole heading line), up to the next heading of any level."""
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no section {heading!r}"
    return match.group(1)


def relative(path: str) -> str:
    return os.path.relpath(path, ROOT)


# --- the sample, through make demo's runner ---------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """`make demo` on data/: its printed output and the run summary the job wrote."""
    output = str(tmp_path_factory.mktemp("sample"))
    result = subprocess.run(
        [sys.executable, "-m", "local_pipeline", "demo", "--source", os.path.join(ROOT, "data"), "--output", output],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with open(os.path.join(output, "warehouse", "run_summary.json"), encoding="utf-8") as handle:
        summary = json.load(handle)
    return {"stdout": result.stdout, "summary": summary, "staging": os.path.join(output, "staging") + os.sep}


ACCOUNTING = re.compile(r"\d+ input = \d+ output \+ \d+ quarantined \+ \d+ duplicates")


def test_every_accounting_line_quoted_is_the_samples(sample):
    line = sample["summary"]["accounting"]
    assert ACCOUNTING.fullmatch(line), line
    quoted = {relative(page): set(ACCOUNTING.findall(flat(read(page)))) for page in PAGES}
    assert quoted["README.md"] and quoted[os.path.join("docs", "workshop.md")], quoted
    stale = {page: lines for page, lines in quoted.items() if lines - {line}}
    assert not stale, f"the sample's line is now {line!r}; update {stale}"


def test_the_row_count_of_the_sample_quoted_anywhere_is_the_samples(sample):
    rows = sample["summary"]["input_rows"]
    for page in PAGES:
        for quoted in re.findall(r"([\d,]+)-row sample", flat(read(page))):
            assert int(quoted.replace(",", "")) == rows, (relative(page), quoted, rows)


def gate_core(message: str) -> str:
    """A gate's message without its threshold and with its file as a base name."""
    message = message.split("; maximum", 1)[0]
    return re.sub(r"\S*/([^/\s]+\.csv) quarantined", r"\1 quarantined", message)


GATE_QUOTE = re.compile(
    r"(?:\S*?([\w.-]+\.csv) quarantined \d+\.\d\d% of its rows \(\d+ of \d+"
    r"|\d+\.\d\d% of output rows have no matching \w+ \(\d+ of \d+)"
)


def test_every_gate_figure_quoted_is_the_samples(sample):
    actual = {gate_core(gate["message"]) for gate in sample["summary"]["gates"]}
    found = 0
    for page in PAGES:
        for match in GATE_QUOTE.finditer(flat(read(page))):
            found += 1
            assert gate_core(match.group(0)) in actual, (relative(page), match.group(0), sorted(actual))
    assert found


def test_the_run_example_in_operate_md_is_what_run_prints_for_the_sample(sample):
    summary = sample["summary"]
    example = section(doc("operate.md"), "### `run`")
    expected = [
        "  " + line.replace(sample["staging"], "s3://…/staging/").replace(summary["run_id"], "20261122T…")
        for line in run_summary_lines(summary)
    ]
    lines = example.splitlines()
    missing = [line for line in expected if line not in lines]
    assert not missing, "operate.md's `run` example should show:\n" + "\n".join(expected)
    first = lines.index(expected[0])
    assert lines[first:first + len(expected)] == expected


def test_the_demo_output_the_workshop_quotes_is_printed(sample):
    workshop = doc("workshop.md")
    headings = [line for line in workshop.splitlines() if line.startswith("== ")]
    assert headings
    printed = sample["stdout"].splitlines()
    assert all(line in printed for line in headings), headings
    assert "Done in " in sample["stdout"] and "Done in … s." in workshop


def test_the_quarantine_reasons_the_sample_produces_are_documented(sample):
    documented = set(re.findall(r"`(\w+)`", section(doc("etl-contract.md"), "## Quarantine: nothing is lost")))
    files = sample["summary"]["files"].values()
    produced = {reason.split(":", 1)[0] for counts in files for reason in counts["quarantine_reasons"]}
    assert produced and produced <= documented, produced - documented


# --- the Glue job's contract -----------------------------------------------------------------------

def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def code(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, cell
    return match.group(1)


def test_the_output_columns_are_tracks_schema():
    rows = table_rows(section(doc("etl-contract.md"), "## Output"))
    documented = [(code(row[0]), code(row[1])) for row in rows]
    assert documented == [(field.name, field.dataType.simpleString()) for field in TRACKS_SCHEMA.fields]


@pytest.mark.parametrize("table", sorted(HISTORY_TABLES))
def test_the_run_history_columns_are_its_schemas(table):
    rows = table_rows(section(doc("pipeline-health.md"), next(
        line for line in doc("pipeline-health.md").splitlines() if line.startswith(f"### `{table}`"))))
    documented = [(code(row[0]), code(row[1])) for row in rows]
    assert documented == [(field.name, field.dataType.simpleString()) for field in HISTORY_TABLES[table].fields]


def test_the_run_history_statuses_are_the_jobs():
    rows = table_rows(section(doc("pipeline-health.md"), "## What a run records"))
    assert tuple(code(row[0]) for row in rows) == RUN_STATUSES


def test_the_run_history_queries_run_on_the_local_catalog(demo_run):
    blocks = re.findall(r"^```sql\n(.*?)^```", doc("pipeline-health.md"), re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2
    with duckdb.connect(Layout(demo_run["output"]).catalog, read_only=True) as connection:
        results = [athena.run_sql(connection, block) for block in blocks]
    # The demo's failing gate is max_quarantine_rate, so the orphan-artist question has no answer there.
    assert results[0] == (["started_at", "measured", "threshold"], [])
    assert results[1][0] == ["run_id", "status", "published_rows"] and len(results[1][1]) >= 3


def test_the_job_arguments_and_their_defaults_are_the_jobs():
    rows = table_rows(section(doc("etl-contract.md"), "## Arguments"))
    documented = {code(row[0]).removeprefix("--"): row for row in rows}
    required = REQUIRED_ARGUMENTS
    thresholds = THRESHOLD_ARGUMENTS
    assert list(documented) == [*required, *thresholds]
    assert all(documented[name][1] == "yes" for name in required)
    defaults = {field.name: field.default for field in dataclasses.fields(EtlConfig)}
    for name, (attribute, _, _) in thresholds.items():
        assert documented[name][1] == "no" and float(documented[name][2]) == defaults[attribute], name


def test_the_input_file_names_are_the_jobs_layouts():
    text = section(doc("etl-contract.md"), "## Inputs: two layouts, never both")
    rows = table_rows(text.split("\n\n", 1)[0] if text.startswith("|") else text)
    named = {re.findall(r"`([^`]+\.csv)`", cell)[0] for row in rows for cell in row[1:] if ".csv" in cell}
    layouts = [WORKSHOP_LAYOUT, KAGGLE_LAYOUT]
    expected = {spec.file_name for layout in layouts for spec in layout.values()} | set(IGNORED_FILES)
    assert named == expected


# --- queries and dashboard -------------------------------------------------------------------------

NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
           "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]


def test_the_named_queries_listed_are_sql_athena():
    rows = table_rows(section(doc("dashboard.md"), "## The named queries"))
    assert [(code(row[0]), row[1]) for row in rows] == [(q.query_id, q.title) for q in load_named_queries()]


def test_every_count_of_named_queries_is_theirs():
    count = len(load_named_queries())
    found = 0
    for page in PAGES:
        for word in re.findall(rf"\b(\d+|{'|'.join(NUMBERS)}) named queries\b", flat(read(page)), re.IGNORECASE):
            found += 1
            number = int(word) if word.isdigit() else NUMBERS.index(word.lower())
            assert number == count, (relative(page), word, count)
    assert found


def test_the_insights_listed_are_view_insights():
    rows = table_rows(section(doc("dashboard.md"), "## The insights"))
    assert [(code(row[0]), code(row[2])) for row in rows] == [(i.insight_id, i.query_id) for i in INSIGHTS]
    offline_only = {code(row[0]) for row in rows if "offline only" in row[3]}
    assert offline_only == {i.insight_id for i in INSIGHTS} - {i.insight_id for i in QUICKSIGHT_INSIGHTS}
    queries = {q.query_id for q in load_named_queries()}
    assert {i.query_id for i in INSIGHTS} <= queries


# --- configuration ---------------------------------------------------------------------------------

def rendered(value) -> str:
    if value in ("", None):
        return "empty"
    return f"`{json.dumps(value) if isinstance(value, (bool, list)) else value}`"


def test_the_context_keys_and_defaults_are_cdk_json_and_settings():
    with open(os.path.join(ROOT, "cdk.json"), encoding="utf-8") as handle:
        everything = json.load(handle)["context"]
    context = {key: value for key, value in everything.items() if key in CONTEXT_KEYS}
    rows = table_rows(section(doc("configuration.md"), "## The settings"))
    documented = {code(row[0]): row[1] for row in rows}
    assert list(documented) == list(context)
    assert set(documented) == set(CONTEXT_KEYS)
    # The rest of cdk.json is the CDK's own (feature flags and CLI settings), and the page says which.
    cdk_own = section(doc("configuration.md"), "## The CDK's own keys")
    assert all(key.startswith("@") or f"`{key}`" in cdk_own for key in everything if key not in CONTEXT_KEYS)
    assert documented == {key: rendered(value) for key, value in context.items()}
    # cdk.json's defaults are Settings' own: a key left out of cdk.json means the same.
    assert settings_from_context(context.get) == Settings()
    assert settings_from_context({}.get) == Settings()


# --- commands and links ----------------------------------------------------------------------------

def test_every_make_cloud_command_quoted_exists_and_operate_md_names_them_all():
    choices = set(next(a for a in cloud_parser()._actions if a.dest == "command").choices)
    quoted = set()
    for page in PAGES:
        quoted |= set(re.findall(r"""make cloud ARGS=["']([\w-]+)""", read(page)))
    assert quoted <= choices, quoted - choices
    operate = set(re.findall(r"""make cloud ARGS=["']([\w-]+)""", doc("operate.md")))
    assert operate == choices


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", read(path), flags=re.MULTILINE | re.DOTALL)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"^#{1,6} ", line)}


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_relative_link_leads_to_a_file_and_heading(page):
    broken = []
    for target in LINK.findall(read(page)):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(full):
            broken.append(target)
        elif anchor and full.endswith(".md") and anchor not in anchors(full):
            broken.append(target)
    assert not broken, broken


def test_the_readme_stays_a_front_page():
    readme = read(README)
    assert 150 <= len(readme.splitlines()) <= 250
    linked = {os.path.normpath(target.partition("#")[0]) for target in LINK.findall(readme)}
    pages = {relative(page) for page in PAGES[1:]}
    assert pages <= linked, pages - linked


def test_the_audio_feature_ranges_are_the_jobs():
    text = " ".join(doc("etl-contract.md").split())
    unit = sorted(name for name, bounds in AUDIO_FEATURE_RANGES.items() if bounds == (0.0, 1.0)
                  and isinstance(bounds[0], float))
    assert unit == ["acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness",
                    "valence"]
    assert "0 to 1 for danceability, energy, speechiness, acousticness, instrumentalness, liveness and valence" in text
    assert AUDIO_FEATURE_RANGES["tempo"] == (0.0, None) and "tempo ≥ 0" in text
    assert AUDIO_FEATURE_RANGES["key"] == (-1, 11) and "key −1 to 11" in text
    assert AUDIO_FEATURE_RANGES["mode"] == (0, 1) and "mode 0 or 1" in text
    assert AUDIO_FEATURE_RANGES["time_signature"] == (0, 7) and "time_signature 0 to 7" in text
    assert AUDIO_FEATURE_RANGES["loudness"] == (None, None) and "Loudness keeps any finite value" in text
