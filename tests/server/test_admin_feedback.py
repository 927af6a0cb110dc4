"""`python -m server admin feedback list|resolve` on SQLite and PostgreSQL: reports listed open first with their
note and output (each listed one audited as a view by the operator), one resolved as `cli:NAME` (audited), and
the refusals — no such report, resolved already, no note — exit with status 2 having changed nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server import cli
from server.models import AuditLog
from server.services import organisations as orgs
from tests.support.server import Org

AUDIT = AuditLog.__table__


def run(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    try:
        code = cli.main(["admin", *args, "--db", database_url, "--operator", "ann"])
    except SystemExit as stop:  # argparse refusing the arguments
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def made(org: Org, author: str, note: str, minutes_ago: int, **fields: object) -> str:
    """A report as a device would have pushed it."""
    values = {
        "tool": "language_check",
        "output": "“kicked off” in: …Kim kicked off in the hall…\nSlang or vague wording",
        "note": note,
        "author_id": org.users[author],
        "created_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).isoformat(),
        **fields,
    }
    with org.db.session() as s:
        return orgs.write_record(s, org.id, "output_feedback", "create", values, actor_id=org.users[author]).id


def test_list_and_resolve_reports_from_the_command_line(
    capsys: pytest.CaptureFixture[str], database_url: str, org: Org
) -> None:
    older = made(org, "sam", "The alternative offered changes the meaning", 30, profile_id=org.children["kim"])
    newer = made(org, "tia", "Flagged a quotation", 5)
    code, out, err = run(capsys, database_url, "feedback", "list", "--org", org.id)
    assert code == 0, err
    assert out.index(newer) < out.index(older)  # newest first among the open ones
    assert "note: The alternative offered changes the meaning" in out and "kicked off in the hall" in out
    assert f"Sam <{org.email('sam')}>" in out and f"(individual {org.children['kim']})" in out
    with org.db.session() as s:
        views = s.execute(
            select(AUDIT.c.record_id, AUDIT.c.profile_id).where(
                AUDIT.c.org_id == org.id, AUDIT.c.actor_id == "cli:ann", AUDIT.c.action == "view"
            )
        ).all()
    assert sorted(views, key=str) == sorted([(older, org.children["kim"]), (newer, None)], key=str)

    code, out, err = run(capsys, database_url, "feedback", "resolve", "--id", older, "--note", "Lexicon corrected")
    assert code == 0 and f"resolved report {older}" in out, err
    with org.db.session() as s:
        found = orgs.get_record(s, older)
        [audit] = s.execute(select(AUDIT.c.actor_id).where(AUDIT.c.record_id == older, AUDIT.c.action == "update"))
    assert found is not None and audit.actor_id == "cli:ann"
    values = found[1].values()
    assert values["status"] == "resolved" and values["resolved_by"] == "cli:ann"
    assert values["resolution"] == "Lexicon corrected"

    code, out, _err = run(capsys, database_url, "feedback", "list", "--org", org.id, "--status", "open")
    assert newer in out and older not in out
    code, out, _err = run(capsys, database_url, "feedback", "list", "--org", org.id)
    assert out.index(newer) < out.index(older)  # open before resolved
    assert "resolved by cli:ann" in out and "Lexicon corrected" in out


def test_refused_resolutions_change_nothing(capsys: pytest.CaptureFixture[str], database_url: str, org: Org) -> None:
    report = made(org, "sam", "Wrong", 1)
    code, _out, err = run(capsys, database_url, "feedback", "resolve", "--id", "nope", "--note", "x")
    assert code == 2 and "no report nope" in err
    code, _out, err = run(capsys, database_url, "feedback", "resolve", "--id", report, "--note", "  ")
    assert code == 2 and "say what was done" in err
    assert run(capsys, database_url, "feedback", "resolve", "--id", report, "--note", "Fixed")[0] == 0
    code, _out, err = run(capsys, database_url, "feedback", "resolve", "--id", report, "--note", "Again")
    assert code == 2 and "already been resolved" in err
    code, _out, err = run(capsys, database_url, "feedback", "list", "--status", "closed")
    assert code == 2 and "invalid choice" in err
