"""Job history: filters, sorting and pages, as GET /jobs/history takes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, func, or_, select

from inferjobs.domain.status import PENDING_JOB_STATUSES, TERMINAL_JOB_STATUSES, JobStatus
from inferjobs.errors import BadRequest
from inferjobs.services import uploads
from inferjobs.services.keys import Principal
from inferjobs.storage import job_rows
from inferjobs.storage.db import now_ms
from inferjobs.storage.tables import items, jobs, users

PARAMETERS = (
    "user",
    "accessKey",
    "startDate",
    "endDate",
    "model",
    "modelIdentifier",
    "modelVersion",
    "status",
    "sort-by",
    "direction",
    "page",
    "per-page",
)  # every query parameter of GET /jobs/history
SORT_COLUMNS = {
    "identifier": jobs.c.id,
    "submittedBy": jobs.c.key_prefix,
    "submittedJobs": jobs.c.created_at,
    "status": jobs.c.status,
    "createdAt": jobs.c.created_at,
    "updatedAt": jobs.c.updated_at,
    "submittedAt": jobs.c.submitted_at,
    "total": jobs.c.total,
    "completed": jobs.c.completed,
    "fail": jobs.c.failed,
    "model": jobs.c.model_name,
}
MAX_PAGE = 1_000_000_000
STATUS_GROUPS = {
    "all": None,
    "pending": PENDING_JOB_STATUSES,
    "terminated": TERMINAL_JOB_STATUSES,
    "timedout": frozenset({JobStatus.TIMEDOUT}),
    "terminated_with_error": frozenset({JobStatus.ERROR}),
}


@dataclass(frozen=True)
class HistoryQuery:
    filters: list[ColumnElement[bool]]
    order_by: list[Any]
    page: int
    per_page: int
    by_user: bool  # whether a filter needs the users table


def parse(params: Mapping[str, str], who: Principal, max_per_page: int) -> HistoryQuery:
    filters: list[ColumnElement[bool]] = [
        jobs.c.account_id == who.account_id if who.is_admin else jobs.c.key_prefix == who.prefix
    ]
    if user := params.get("user"):
        pattern = f"%{_escape(user)}%"
        filters.append(
            or_(
                *(
                    col.ilike(pattern, escape="\\")
                    for col in (
                        users.c.first_name,
                        users.c.last_name,
                        users.c.email,
                        jobs.c.user_id,
                    )
                )
            )
        )
    if access_key := params.get("accessKey"):
        filters.append(jobs.c.key_prefix == access_key)
    filters += _dates(params.get("startDate"), params.get("endDate"))
    if model := params.get("model"):
        pattern = f"%{_escape(model)}%"
        filters.append(or_(jobs.c.model_name.ilike(pattern, escape="\\"), jobs.c.model_id == model))
    if identifier := params.get("modelIdentifier"):
        filters.append(jobs.c.model_id == identifier)
    if version := params.get("modelVersion"):
        filters.append(jobs.c.model_version == version)
    statuses = _statuses(params.get("status", "all"))
    if statuses is not None:
        filters.append(jobs.c.status.in_(sorted(statuses)))
    return HistoryQuery(
        filters,
        _order(params.get("sort-by"), params.get("direction")),
        page_number(params.get("page")),
        page_size(params.get("per-page"), max_per_page),
        bool(params.get("user")),
    )


def page_statement(query: HistoryQuery) -> Select[Any]:
    """The page's job rows, and the next one (does another page follow?). The ids are paged
    first, so the rows skipped by OFFSET are index entries only, never table rows or users."""
    page_ids = (
        select(jobs.c.id)
        .select_from(jobs.join(users, users.c.id == jobs.c.user_id) if query.by_user else jobs)
        .where(*query.filters)
        .order_by(*query.order_by)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page + 1)
    )
    found: Select[Any] = job_rows.job_query().where(jobs.c.id.in_(page_ids.scalar_subquery()))
    return found.order_by(*query.order_by)


def input_names(conn: Connection, rows: Sequence[Row[Any]], limit: int) -> dict[str, list[str]]:
    """Job id -> the input names its job object lists, for a whole page in two queries at most:
    the first `limit` item names, or for an OPEN job the sources uploaded so far."""
    names: dict[str, list[str]] = {row.id: [] for row in rows}
    open_ids = [row.id for row in rows if row.status == JobStatus.OPEN]
    closed_ids = [row.id for row in rows if row.status != JobStatus.OPEN]
    found: list[Row[Any]] = []
    if closed_ids and limit > 0:
        found += conn.execute(_item_names(), {"ids": closed_ids, "limit": limit}).all()
    if open_ids:
        found += uploads.sources_of(conn, open_ids)
    for row in found:
        names[row.job_id].append(row.name)
    return names


# Statements are built once: building one costs more than running it again.
@cache
def _item_names() -> Select[Any]:
    """The first `limit` item names of each job of `ids`, in submission order."""
    rank = func.row_number().over(partition_by=items.c.job_id, order_by=items.c.id)
    ranked = (
        select(items.c.job_id, items.c.name, rank.label("rank"))
        .where(items.c.job_id.in_(bindparam("ids", expanding=True)))
        .subquery()
    )
    return (
        select(ranked.c.job_id, ranked.c.name)
        .where(ranked.c.rank <= bindparam("limit"))
        .order_by(ranked.c.job_id, ranked.c.rank)
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statuses(value: str) -> frozenset[str] | None:
    key = value.strip().lower()
    if key in STATUS_GROUPS:
        return STATUS_GROUPS[key]
    exact = value.strip().upper()
    if exact in JobStatus.__members__:
        return frozenset({exact})
    allowed = ", ".join([*STATUS_GROUPS, *JobStatus.__members__])
    raise BadRequest(f"status: expected one of {allowed}; got {value!r}")


def parse_date(value: str, name: str) -> int:
    """ISO 8601 date or date-time, to epoch milliseconds (no zone given: UTC)."""
    text = value.strip().replace(" ", "+")  # an unescaped '+' in a query string
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"{name}: expected an ISO 8601 date such as 2023-01-02T03:04:05.000; got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _dates(start: str | None, end: str | None) -> list[ColumnElement[bool]]:
    if end and not start:
        raise BadRequest("endDate: give startDate too when filtering by endDate")
    if not start:
        return []
    begin = parse_date(start, "startDate")
    if begin > now_ms():
        raise BadRequest("startDate: must not be in the future")
    found = [jobs.c.created_at >= begin]
    if end:
        finish = parse_date(end, "endDate")
        if finish < begin:
            raise BadRequest("endDate: must not be before startDate")
        found.append(jobs.c.created_at <= finish)
    return found


def _order(sort_by: str | None, direction: str | None) -> list[Any]:
    descending = (direction or "ASC").strip().upper()
    if descending not in ("ASC", "DESC"):
        raise BadRequest(f"direction: expected ASC or DESC; got {direction!r}")
    order = []
    for name in (sort_by or "createdAt").split(","):
        column = SORT_COLUMNS.get(name.strip())
        if column is None:
            raise BadRequest(f"sort-by: expected one of {', '.join(SORT_COLUMNS)}; got {name!r}")
        order.append(column.desc() if descending == "DESC" else column.asc())
    tie = jobs.c.id.desc() if descending == "DESC" else jobs.c.id.asc()
    return [*order, tie]


def page_number(value: str | None) -> int:
    number = _integer(value, "page", 1)
    if not 0 <= number <= MAX_PAGE:  # a larger one would overflow the database's offset
        raise BadRequest(f"page: expected a page number from 1 to {MAX_PAGE}")
    return max(1, number)


def page_size(value: str | None, maximum: int) -> int:
    number = _integer(value, "per-page", 10)
    if not 1 <= number <= maximum:
        raise BadRequest(f"per-page: expected 1 to {maximum}; got {number}")
    return number


def _integer(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name}: expected a whole number; got {value[:40]!r}") from None
