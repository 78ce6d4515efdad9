"""Commands about the training queue: ``jobs`` (list) and ``jobs stop ID``."""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.common import command
from core.errors import JOB_ID_NEEDED, ConfigError
from core.evaluation.report import ordinal
from core.runs import jobs


def add_commands(sub: Any) -> None:
    """Register ``jobs`` (with an optional ``stop ID``)."""
    parser = command(sub, "jobs", _jobs, "list training jobs (queued, running, ended), or stop one")
    parser.add_argument("action", nargs="?", choices=("list", "stop"), default="list")
    parser.add_argument("job_id", nargs="?", default=None, help="the job to stop")


def _jobs(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if args.action == "stop":
        if not args.job_id:
            raise ConfigError(JOB_ID_NEEDED)
        job = jobs.request_stop(args.job_id)
        return job.to_dict(), f"asked job {job.job_id} to stop; it saves its run as cancelled"
    listed = [j.to_dict() for j in jobs.list_jobs()]
    return {"jobs": listed}, "\n".join(_line(j) for j in listed) or "no jobs"


def _line(job: dict[str, Any]) -> str:
    where = {
        "queued": f"{ordinal(job['queue_position'])} in the queue",
        "running": f"{job['phase']}, epoch {job['epoch']}/{job['epochs']}",
    }.get(job["state"], job["run_id"] or job["error"] or "")
    return f"{job['job_id']}  {job['state']:9}  {job['preset']}  {where}"
