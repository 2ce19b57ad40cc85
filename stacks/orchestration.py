"""Glue workflow: start trigger -> ETL job -> (on SUCCEEDED) crawler."""

from __future__ import annotations

from aws_cdk import aws_glue as glue
from constructs import Construct


class PipelineWorkflow(Construct):
    """A Glue workflow has one start trigger: on demand by default, or the
    schedule when one is configured (a scheduled workflow can still be started
    by hand with `aws glue start-workflow-run`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        job: glue.IJob,
        crawler: glue.CfnCrawler,
        schedule: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.workflow = glue.Workflow(
            self,
            "Workflow",
            workflow_name=f"{resource_prefix}-spotify-pipeline",
            description="Spotify CSVs in staging -> Parquet in the warehouse -> tracks table in the catalog",
            max_concurrent_runs=1,
        )
        start = [glue.Action.job(job)]
        if schedule:
            self.start_trigger = self.workflow.add_scheduled_trigger(
                "ScheduledStart",
                name=f"{resource_prefix}-spotify-scheduled-start",
                schedule=glue.TriggerSchedule.expression(schedule),
                start_on_creation=True,
                actions=start,
            )
        else:
            self.start_trigger = self.workflow.add_on_demand_trigger(
                "OnDemandStart", name=f"{resource_prefix}-spotify-start", actions=start
            )
        self.crawl_trigger = self.workflow.add_conditional_trigger(
            "CrawlAfterEtl",
            name=f"{resource_prefix}-spotify-crawl-after-etl",
            predicate=glue.Predicate(conditions=[glue.Condition.job(job, glue.JobState.SUCCEEDED)]),
            start_on_creation=True,
            actions=[glue.Action.crawler(crawler)],
        )
