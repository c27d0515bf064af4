"""What must be true once the reports are filed: each stored once, each emailed once, each parking report
handed off once; and the logs are what the guide says they are."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .procs import JobFailed

# The portal's text format and Celery's own: a record that did not go through the JSON handler.
TEXT_LOG_LINE = re.compile(r"^(\[\d{4}-\d\d-\d\d [\d:,]+: [A-Z]+/|\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ )")


@dataclass(frozen=True)
class Filed:
    tracking_number: str
    kind: str  # parking or theft
    email: str
    language: str


def records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check_database(filed: list[Filed], stored: dict) -> list[str]:
    numbers = Counter(row["tracking_number"] for row in stored["reports"])
    problems = [f"{number} is stored {n} times" for number, n in numbers.items() if n != 1]
    problems += [
        f"{f.tracking_number} is not in the database" for f in filed if f.tracking_number not in numbers
    ]
    if len(numbers) != len(filed):
        problems.append(f"{len(numbers)} reports in the database, {len(filed)} filed")
    problems += [
        f"outbox {row['kind']} for {row['report__tracking_number']} is {row['state']}"
        for row in stored["outbox"]
        if row["state"] != "done"
    ]
    return problems


def check_emails(filed: list[Filed], mail: list[dict], *, sender: str, login: tuple[str, str]) -> list[str]:
    problems = []
    messages = [(entry, parsed_email(entry)) for entry in mail]
    for f in filed:
        mine = [
            (entry, message) for entry, message in messages if f.tracking_number in str(message["Subject"])
        ]
        if len(mine) != 1:
            problems.append(f"{f.tracking_number}: {len(mine)} confirmation emails, expected 1")
            continue
        problems += [
            f"{f.tracking_number}: {p}" for p in email_problems(f, *mine[0], sender=sender, login=login)
        ]
    if len(mail) != len(filed):
        problems.append(f"{len(mail)} emails arrived for {len(filed)} reports")
    return problems


def parsed_email(entry: dict) -> email.message.EmailMessage:
    return email.message_from_bytes(base64.b64decode(entry["data"]), policy=email.policy.default)


def email_problems(f: Filed, entry: dict, message, *, sender: str, login: tuple[str, str]) -> list[str]:
    problems = []
    if not entry["tls"]:
        problems.append("sent without STARTTLS")
    if (entry["auth"] or {}).get("login") != login[0] or (entry["auth"] or {}).get("password") != login[1]:
        problems.append(f"signed in as {entry['auth']!r}, not with EMAIL_HOST_USER and EMAIL_HOST_PASSWORD")
    if entry["rcpt_tos"] != [f.email] or str(message["To"]) != f.email:
        problems.append(f"to {entry['rcpt_tos']} / {message['To']}, not {f.email}")
    if str(message["From"]) != sender:
        problems.append(f"from {message['From']!r}, not {sender!r}")
    for header in ("Date", "Message-ID", "Subject"):
        if not message[header]:
            problems.append(f"no {header} header")
    problems += [f"defect: {defect!r}" for part in message.walk() for defect in part.defects]
    kinds = {part.get_content_type() for part in message.walk()}
    if message.get_content_type() != "multipart/alternative" or not {"text/plain", "text/html"} <= kinds:
        problems.append(f"not a text and HTML alternative: {sorted(kinds)}")
    text = message.get_body(("plain",)).get_content() if "text/plain" in kinds else ""
    if "https://311.example.gov/status/" not in text:
        problems.append("the text part has no status link on SITE_URL")
    if f.language == "es" and "Recibimos su reporte" not in str(message["Subject"]):
        problems.append(f"a report filed in Spanish got the subject {message['Subject']!r}")
    return problems


def check_deliveries(filed: list[Filed], arrived: list[dict]) -> list[str]:
    parking = {f.tracking_number for f in filed if f.kind == "parking"}
    tickets = Counter(entry["ticket_id"] for entry in arrived)
    webhook_ids = Counter(entry["webhook_id"] for entry in arrived)
    problems = [f"{number}: handed off {tickets[number]} times" for number in parking if tickets[number] != 1]
    problems += [f"{ticket} is not a parking report but was handed off" for ticket in set(tickets) - parking]
    problems += [f"webhook-id {wid} arrived {n} times" for wid, n in webhook_ids.items() if n != 1]
    problems += [f"{entry['webhook_id']}: bad signature" for entry in arrived if not entry["verified"]]
    problems += [
        f"{entry['webhook_id']}: type {entry['type']!r}"
        for entry in arrived
        if entry["type"] != "parking_report.created"
    ]
    return problems


def log_lines(path: Path) -> tuple[list[dict], list[str]]:
    """(the JSON records, the lines written in a text log format) of one process's output."""
    records_, text = [], []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if TEXT_LOG_LINE.match(line):
                text.append(line)
            continue
        if isinstance(record, dict):
            records_.append(record)
    return records_, text


def check_worker_logs(paths: list[Path]) -> tuple[list[str], int]:
    """Every log record of the workers is JSON, and their task lines are among them."""
    problems, task_lines = [], 0
    for path in paths:
        records_, text = log_lines(path)
        problems += [f"{path.name}: not JSON: {line[:160]}" for line in text]
        task_lines += sum(
            1 for r in records_ if r.get("logger", "").startswith("celery.") and "Task" in r["message"]
        )
    if not task_lines:
        problems.append("no JSON task line from any worker (Task ... received / succeeded)")
    return problems, task_lines


def web_requests(path: Path, method_path: str) -> int:
    """Access-log lines of one web instance whose request line holds e.g. " /report/"."""
    records_, _ = log_lines(path)
    return sum(
        1 for r in records_ if r.get("logger") == "gunicorn.access" and method_path in r.get("message", "")
    )


def check_warm_shutdown(paths: list[Path]) -> list[str]:
    """KillMode=mixed: SIGTERM reaches Celery's main process alone, so no pool process is killed mid-task."""
    return [
        f"{path.name}: {line.strip()[:160]}"
        for path in paths
        for line in path.read_text(errors="replace").splitlines()
        if "exited with 'signal 15" in line
    ]


def fail_on(problems: list[str], what: str) -> None:
    if problems:
        raise JobFailed(f"{what}:\n  " + "\n  ".join(problems))
