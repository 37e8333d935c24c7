"""Every document glmctl writes for `-o json` and `-o yaml`, one model per `kind`.

Field names are written in Python's snake_case and serialised in camelCase (the
`alias_generator`), as Kubernetes writes its objects. Timestamps are
:data:`Timestamp`: RFC 3339 in UTC with a `Z`. Within `glmctl.io/v1` fields may be
added, never renamed, removed or given another type (`docs/output.md`).

Two kinds of values are data rather than contract, and keep the keys they were written
with: Kubernetes objects (a journal entry's manifests) and what the user wrote (a runbook
step's `with` parameters, the profile under `Config.profile`, as in `glmctl.yaml`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

from glmctl.contract import API_VERSION


def rfc3339(moment: datetime) -> str:
    """`2026-12-04T16:19:03Z` (milliseconds only when there are any), always in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """A timestamp as Kubernetes or the journal wrote it (`...Z`), or None when absent or
    unreadable (a document never fails for a clock it did not set)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""A moment in time; serialised as RFC 3339 UTC (`2026-12-04T16:19:03Z`)."""


class Model(BaseModel):
    """Every part of a document: camelCase on the wire, frozen, no unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        json_schema_serialization_defaults_required=True,
    )


class Document(Model):
    """A whole document: what one command run prints, and nothing else."""

    api_version: Literal["glmctl.io/v1"] = API_VERSION

    def data(self) -> dict[str, Any]:
        """The document as plain JSON data, camelCase keys: apiVersion and kind first, then
        the fields in declaration order."""
        data = self.model_dump(mode="json", by_alias=True)
        return {"apiVersion": data.pop("apiVersion"), "kind": data.pop("kind"), **data}


# -- runbook reports (preflight, verify, troubleshoot TOPIC, runbook run) ------------------


class RunbookRef(Model):
    name: str
    description: str
    source: str | None = Field(description="The file the runbook was loaded from.")


class StepCounts(Model):
    """Steps by how they ended; every status present, zeros included."""

    pass_: int = Field(alias="pass", ge=0)
    fail: int = Field(ge=0)
    warn: int = Field(ge=0)
    skip: int = Field(ge=0)
    error: int = Field(ge=0)


class StepReport(Model):
    id: str
    uses: str
    title: str
    mutating: bool
    status: Literal["pass", "fail", "warn", "skip", "error"]
    summary: str
    details: list[str]
    hint: str | None
    command: str | None = Field(description="The equivalent kubectl/flux command.")
    duration_seconds: float = Field(ge=0)
    attempts: int = Field(ge=0)
    timed_out: bool


class RunbookReport(Document):
    """A runbook run: preflight, verify, troubleshoot TOPIC, runbook run. Step `outputs`
    are never part of it (they may hold working data; a report never carries a Secret)."""

    kind: Literal["RunbookReport"] = "RunbookReport"
    runbook: RunbookRef
    dry_run: bool
    status: Literal["passed", "failed", "unreachable", "timed_out", "interrupted"] = Field(
        description="passed: exit 0 (warnings included); failed: 1; unreachable: 3; "
        "timed_out: 4; interrupted: 130."
    )
    exit_code: Literal[0, 1, 3, 4, 130]
    stopped_because: str | None
    started_at: Timestamp
    finished_at: Timestamp
    duration_seconds: float = Field(ge=0)
    counts: StepCounts
    steps: list[StepReport]


# -- status -------------------------------------------------------------------------------


class FluxNode(Model):
    kind: str
    namespace: str
    name: str
    relation: str = Field(description="root, source, dependsOn or deploys.")
    found: bool
    ready: bool
    status: Literal["Ready", "NotReady", "Unknown", "NotFound"]
    suspended: bool
    reason: str
    message: str = Field(description="The whole message, never shortened.")
    created: Timestamp | None
    age: str = Field(description="kubectl style: 45s, 12m, 3h, 5d; '-' when unknown.")
    last_transition_time: Timestamp | None
    repeated: bool = Field(description="Shown in full higher up the tree; no children here.")
    suspend_note: str | None = Field(description="Who suspended it, when and why, if recorded.")
    children: list[FluxNode]


class NextStep(Model):
    command: str
    why: str
    object: str = Field(description="Kind/namespace/name of the object it is about.")


class StatusReport(Document):
    """`glmctl status`: the lifecycle's Flux objects as a tree."""

    kind: Literal["StatusReport"] = "StatusReport"
    context: str
    observed_at: Timestamp
    ready: bool
    not_ready: list[str]
    next_steps: list[NextStep]
    tree: FluxNode


# -- monitor ------------------------------------------------------------------------------


class FollowedObject(Model):
    kind: str
    namespace: str
    name: str
    role: str
    found: bool
    ready: bool
    state: str = Field(
        description="Ready, NotReady, Unknown, NotFound (Flux objects); Running, Complete, "
        "Failed (Jobs)."
    )
    reason: str
    message: str
    suspended: bool
    failed: bool = Field(description="Failed for good: it ends the wait with exit 1.")


class SeenEvent(Model):
    object: str
    type: str
    reason: str
    message: str
    count: int = Field(ge=1)
    last_seen: Timestamp | None


class MonitorResult(Model):
    verdict: Literal["ready", "failed", "waiting", "interrupted"]
    exit_code: Literal[0, 1, 4, 130]
    summary: str
    elapsed_seconds: float = Field(ge=0)
    timeout_seconds: float | None = Field(ge=0, description="null: no limit.")
    objects: list[FollowedObject]
    events: list[SeenEvent]


class MonitorReport(MonitorResult, Document):
    """`glmctl monitor`: how following the deploy ended."""

    kind: Literal["MonitorReport"] = "MonitorReport"


# -- rollback, redeploy, journal restore --------------------------------------------------


class PlanItem(Model):
    id: str
    action: str
    target: str
    detail: str
    state: Literal["todo", "already"]


class ChangePlan(Model):
    command: str
    items: list[PlanItem]
    notes: list[str]
    diff: str = Field(description="Unified diff of the repository files the plan edits.")


class ItemOutcome(Model):
    id: str
    result: Literal["done", "already", "left-alone", "dry-run"]
    message: str


class ChangeReport(Document):
    """`glmctl rollback`, `redeploy` and `journal restore`: the plan and what was done."""

    kind: Literal["ChangeReport"] = "ChangeReport"
    plan: ChangePlan
    dry_run: bool
    declined: bool
    journal_entry: str | None
    outcomes: list[ItemOutcome]
    committed: str | None = Field(default=None, description="rollback --commit: the commit.")
    wait: MonitorResult | None = Field(default=None, description="redeploy: how the wait ended.")


# -- lint ---------------------------------------------------------------------------------


class ObjectRef(Model):
    kind: str
    namespace: str | None
    name: str


class LintFinding(Model):
    rule: str
    severity: Literal["error", "warning", "info"]
    file: str
    line: int
    column: int
    object: ObjectRef | None
    message: str
    fix: str | None


class LintSummary(Model):
    errors: int
    warnings: int
    infos: int
    suppressed: int
    objects: int
    files_read: int
    failed: bool


class LintReport(Document):
    """`glmctl lint`: findings in reading order."""

    kind: Literal["LintReport"] = "LintReport"
    findings: list[LintFinding]
    summary: LintSummary


class LintRule(Model):
    id: str
    severity: Literal["error", "warning", "info"]
    summary: str


class LintRuleList(Document):
    """`glmctl lint --list-rules`."""

    kind: Literal["LintRuleList"] = "LintRuleList"
    items: list[LintRule]


# -- runbooks -----------------------------------------------------------------------------


class RunbookInfo(Model):
    name: str
    origin: str
    path: str
    shadowed: bool = Field(description="A runbook of the same name found earlier runs instead.")
    valid: bool
    description: str


class RunbookList(Document):
    """`glmctl runbook list`."""

    kind: Literal["RunbookList"] = "RunbookList"
    items: list[RunbookInfo]


class RunbookParameter(Model):
    name: str
    type: str
    required: bool
    default: Any
    description: str


class RunbookStep(Model):
    id: str
    title: str
    uses: str
    mutating: bool
    with_: dict[str, Any] = Field(alias="with", description="As written in the runbook.")
    when: list[str]
    needs: list[str]
    retries: int
    timeout_seconds: float | None
    continue_on_failure: bool


class Runbook(Document):
    """`glmctl runbook show`: parameters and steps."""

    kind: Literal["Runbook"] = "Runbook"
    name: str
    description: str
    source: str | None
    parameters: list[RunbookParameter]
    steps: list[RunbookStep]


class RunbookProblem(Model):
    message: str
    hint: str | None


class RunbookCheck(Model):
    target: str = Field(description="The name or file as given.")
    source: str | None
    valid: bool
    steps: int | None
    problems: list[RunbookProblem]


class RunbookValidation(Document):
    """`glmctl runbook validate`: every runbook checked; exit 2 when one is invalid."""

    kind: Literal["RunbookValidation"] = "RunbookValidation"
    valid: bool
    items: list[RunbookCheck]


class StepInfo(Model):
    name: str
    description: str
    mutating: bool
    parameters: list[str] = Field(description="Names; an optional one ends in '?'.")


class StepList(Document):
    """`glmctl runbook steps`."""

    kind: Literal["StepList"] = "StepList"
    items: list[StepInfo]


# -- journal ------------------------------------------------------------------------------


class JournalSummary(Model):
    id: str
    status: Literal["incomplete", "finished"]
    outcome: str | None
    command: list[str]
    context: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    planned: int
    done: int


class JournalEntryList(Document):
    """`glmctl journal list`, oldest first."""

    kind: Literal["JournalEntryList"] = "JournalEntryList"
    items: list[JournalSummary]


class JournalChange(Model):
    id: str
    action: str
    kind: str
    name: str
    namespace: str | None
    api_version: str
    detail: str
    done: bool
    outcome: str | None
    done_at: Timestamp | None


class JournalRecord(Model):
    action: str
    change_id: str | None
    recorded_at: Timestamp | None
    redacted: bool = Field(description="Secret values were replaced before recording.")
    object: dict[str, Any] = Field(description="The manifest as it was, as Kubernetes wrote it.")


class JournalEntry(Document):
    """`glmctl journal show`: one entry, with the manifests it recorded."""

    kind: Literal["JournalEntry"] = "JournalEntry"
    id: str
    status: Literal["incomplete", "finished"]
    outcome: str | None
    command: list[str]
    command_name: str
    context: str | None
    user: str
    started_at: Timestamp | None
    finished_at: Timestamp | None
    plan: list[JournalChange]
    before: list[JournalRecord]


# -- config, sim, troubleshoot topics, version --------------------------------------------


class ConfigField(Model):
    field: str = Field(description="Path in glmctl.yaml, e.g. flux.helm_release.name.")
    value: Any
    source: str = Field(description="'default', or FILE:LINE of the glmctl.yaml that set it.")


class Config(Document):
    """`glmctl config show`: the effective profile and where each value came from."""

    kind: Literal["Config"] = "Config"
    path: str | None
    profile: dict[str, Any] = Field(description="The effective profile, keyed as glmctl.yaml.")
    fields: list[ConfigField]


class ConfigPath(Document):
    """`glmctl config path`."""

    kind: Literal["ConfigPath"] = "ConfigPath"
    path: str | None = Field(description="null: no glmctl.yaml, defaults only.")


class Scenario(Model):
    name: str
    description: str


class ScenarioList(Document):
    """`glmctl sim scenarios`."""

    kind: Literal["ScenarioList"] = "ScenarioList"
    items: list[Scenario]


class Topic(Model):
    name: str
    title: str
    description: str
    runbook: str
    guide_section: str
    aliases: list[str]


class TopicList(Document):
    """`glmctl troubleshoot --list`."""

    kind: Literal["TopicList"] = "TopicList"
    items: list[Topic]


class Version(Document):
    """`glmctl version`."""

    kind: Literal["Version"] = "Version"
    version: str
    python_version: str


KINDS: tuple[type[Document], ...] = (
    RunbookReport,
    StatusReport,
    MonitorReport,
    ChangeReport,
    LintReport,
    LintRuleList,
    RunbookList,
    Runbook,
    RunbookValidation,
    StepList,
    JournalEntryList,
    JournalEntry,
    Config,
    ConfigPath,
    ScenarioList,
    TopicList,
    Version,
)
"""Every kind, in the order `docs/output.md` lists them."""


def kind_name(model: type[Document]) -> str:
    """The `kind` a model writes (its class name)."""
    return model.__name__
