"""List prices (us-east-1; see the README's cost section) for the cost lines."""

from __future__ import annotations

import math

ATHENA_USD_PER_TB = 5.0
ATHENA_MINIMUM_BYTES = 10 * 1024**2  # 10 MB minimum per query, rounded up to the next MB
GLUE_USD_PER_DPU_HOUR = 0.44
GLUE_JOB_MINIMUM_SECONDS = 60
CRAWLER_MINIMUM_SECONDS = 600
WORKER_DPU = {"G.025X": 0.25, "G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8, "Standard": 1}


def athena_billed_bytes(scanned: int) -> int:
    megabytes = math.ceil(max(scanned, 0) / 1024**2)
    return max(megabytes * 1024**2, ATHENA_MINIMUM_BYTES)


def athena_cost(scanned: int) -> float:
    return athena_billed_bytes(scanned) / 1024**4 * ATHENA_USD_PER_TB


def job_dpu_seconds(job_run: dict) -> float | None:
    """DPU-seconds of a Glue job run: reported for Flex and auto-scaling runs, else workers x time."""
    if job_run.get("DPUSeconds") is not None:
        return float(job_run["DPUSeconds"])
    seconds = job_run.get("ExecutionTime")
    if seconds is None:
        return None
    if job_run.get("NumberOfWorkers") and job_run.get("WorkerType") in WORKER_DPU:
        return seconds * job_run["NumberOfWorkers"] * WORKER_DPU[job_run["WorkerType"]]
    if job_run.get("MaxCapacity"):
        return seconds * job_run["MaxCapacity"]
    return None


def job_cost(job_run: dict) -> float | None:
    dpu_seconds = job_dpu_seconds(job_run)
    if dpu_seconds is None:
        return None
    seconds = job_run.get("ExecutionTime") or 0
    if 0 < seconds < GLUE_JOB_MINIMUM_SECONDS:  # billed for at least a minute
        dpu_seconds = dpu_seconds * GLUE_JOB_MINIMUM_SECONDS / seconds
    return dpu_seconds / 3600 * GLUE_USD_PER_DPU_HOUR


def usd(amount: float | None) -> str:
    if amount is None:
        return "n/a"
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.2f}"


CRAWLER_ASSUMED_DPU = 2  # the API does not report a crawl's DPUs; the README's estimate assumes 2


def crawler_cost_estimate(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return max(seconds, CRAWLER_MINIMUM_SECONDS) * CRAWLER_ASSUMED_DPU / 3600 * GLUE_USD_PER_DPU_HOUR
