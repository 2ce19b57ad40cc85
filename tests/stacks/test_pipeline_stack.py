"""Fine-grained assertions on the synthesized pipeline templates (never on logical ids)."""

from __future__ import annotations

import json

from aws_cdk.assertions import Match

import pytest
from pyspark.sql import types as T

from cloud_pipeline.stack import REQUIRED_OUTPUTS
from etl.history import HISTORY_TABLES
from sql.queries import load_named_queries
from stacks.dataset_columns import TRACKS_INPUT_COLUMNS
from stacks.run_history import glue_columns
from tests.stacks.conftest import QUICKSIGHT_USER
from tests.stacks.support.synth import resources

HISTORY_TABLE_NAMES = ["pipeline_runs", "pipeline_run_files", "pipeline_run_gates"]


def buckets(template: dict) -> dict:
    return resources(template, "AWS::S3::Bucket")


def logical_id_of(template: dict, resource_type: str, predicate) -> str:
    matches = [k for k, v in resources(template, resource_type).items() if predicate(v["Properties"])]
    assert len(matches) == 1, matches
    return matches[0]


def data_bucket_ids(template: dict) -> dict:
    """Staging, warehouse and results buckets, told apart by what they are configured for."""
    found = {}
    for logical_id, bucket in buckets(template).items():
        props = bucket["Properties"]
        prefix = props.get("LoggingConfiguration", {}).get("LogFilePrefix")
        if prefix:
            found[prefix.rstrip("/")] = logical_id
    return found


def test_four_buckets_share_the_security_baseline(default_app):
    template = default_app.template_json("pipeline")
    assert len(buckets(template)) == 4
    for logical_id, bucket in buckets(template).items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True
        }, logical_id
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} for r in rules), logical_id
        assert bucket["DeletionPolicy"] == "Retain"
    # TLS only: every bucket's policy denies requests without aws:SecureTransport.
    policies = resources(template, "AWS::S3::BucketPolicy")
    tls_denied = {
        p["Properties"]["Bucket"]["Ref"]
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    }
    assert tls_denied == set(buckets(template))


def test_data_buckets_are_kms_encrypted_and_access_logged(default_app):
    template = default_app.template_json("pipeline")
    ids = data_bucket_ids(template)
    assert set(ids) == {"staging", "warehouse", "athena-results"}
    log_bucket = (set(buckets(template)) - set(ids.values())).pop()
    for logical_id in ids.values():
        props = template["Resources"][logical_id]["Properties"]
        encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert "KMSMasterKeyID" in encryption["ServerSideEncryptionByDefault"]
        assert encryption["BucketKeyEnabled"] is True
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket}
    log_encryption = template["Resources"][log_bucket]["Properties"]["BucketEncryption"]
    assert log_encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    staging = template["Resources"][ids["staging"]]["Properties"]
    assert staging["VersioningConfiguration"] == {"Status": "Enabled"}
    results_rules = template["Resources"][ids["athena-results"]]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 7 for r in results_rules)
    for key in resources(template, "AWS::KMS::Key").values():
        assert key["Properties"]["EnableKeyRotation"] is True


def test_sample_csvs_are_deployed_to_staging_without_pruning(default_app):
    template = default_app.templates["pipeline"]
    template.has_resource_properties(
        "Custom::CDKBucketDeployment", {"DestinationBucketKeyPrefix": "staging/", "Prune": False}
    )


def test_glue_job_runs_the_script_on_glue_5_1_with_two_workers(default_app):
    template = default_app.template_json("pipeline")
    ids = data_bucket_ids(template)
    job = next(iter(resources(template, "AWS::Glue::Job").values()))["Properties"]
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.1", "G.1X", 2)
    assert (job["MaxRetries"], job["Timeout"], job["ExecutionProperty"]) == (0, 30, {"MaxConcurrentRuns": 1})
    assert job["Name"] == "spotify-spotify-etl"
    assert "ExecutionClass" not in job
    assert job["Command"]["Name"] == "glueetl" and job["Command"]["PythonVersion"] == "3"
    assert job["Command"]["ScriptLocation"]["Fn::Join"][1][-1].endswith(".py")
    arguments = job["DefaultArguments"]
    assert arguments["--SOURCE_PATH"] == {"Fn::Join": ["", ["s3://", {"Ref": ids["staging"]}, "/staging"]]}
    assert arguments["--TARGET_PATH"] == {"Fn::Join": ["", ["s3://", {"Ref": ids["warehouse"]}]]}
    assert arguments["--QUARANTINE_PATH"] == {"Fn::Join": ["", ["s3://", {"Ref": ids["warehouse"]}, "/quarantine"]]}
    # Bookmarks carry no state for spark.read; reruns are a full refresh with dynamic partition overwrite.
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--enable-metrics"] == ""
    # Glue 5.x always logs to /aws-glue/jobs/output and /error; the 4.0-era flag would claim otherwise.
    assert "--enable-continuous-cloudwatch-log" not in arguments
    assert arguments["--MAX_QUARANTINE_RATE"] == "0.05"
    assert arguments["--MAX_ORPHAN_ARTIST_RATE"] == "0.1"
    security_id = next(iter(resources(template, "AWS::Glue::SecurityConfiguration")))
    assert job["SecurityConfiguration"] == {"Ref": security_id}


def test_security_configuration_encrypts_logs_and_bookmarks(default_app):
    template = default_app.template_json("pipeline")
    config = next(iter(resources(template, "AWS::Glue::SecurityConfiguration").values()))["Properties"]
    encryption = config["EncryptionConfiguration"]
    assert config["Name"] == "spotify-spotify-encryption"
    security = next(iter(resources(template, "AWS::Glue::SecurityConfiguration").values()))
    assert security["DeletionPolicy"] == "Delete"  # holds no data; retained, it would block the next deploy
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    assert encryption["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"


def test_crawler_catalogs_the_tracks_prefix_into_a_stable_table(default_app):
    template = default_app.template_json("pipeline")
    ids = data_bucket_ids(template)
    crawler = next(iter(resources(template, "AWS::Glue::Crawler").values()))["Properties"]
    assert crawler["DatabaseName"] == "spotify_spotify"
    assert crawler["Targets"]["S3Targets"][0]["Path"] == {
        "Fn::Join": ["", ["s3://", {"Ref": ids["warehouse"]}, "/tracks/"]]
    }
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    security_id = next(iter(resources(template, "AWS::Glue::SecurityConfiguration")))
    assert crawler["CrawlerSecurityConfiguration"] == {"Ref": security_id}
    configuration = json.loads(crawler["Configuration"])
    assert configuration["Grouping"]["TableLevelConfiguration"] == 2
    assert configuration["CrawlerOutput"]["Partitions"] == {"AddOrUpdateBehavior": "InheritFromTable"}
    database = next(iter(resources(template, "AWS::Glue::Database").values()))["Properties"]
    assert database["DatabaseInput"]["Name"] == "spotify_spotify"


def test_run_history_tables_are_declared_from_the_etl_schemas_with_projected_days(default_app):
    """Declared, not crawled (a failed run's day must be queryable): columns in etl.history's order and types,
    Parquet at <warehouse>/<table>/, run_date partitions projected from the table's parameters."""
    template = default_app.template_json("pipeline")
    ids = data_bucket_ids(template)
    database_id = next(iter(resources(template, "AWS::Glue::Database")))
    tables = {t["Properties"]["TableInput"]["Name"]: t for t in resources(template, "AWS::Glue::Table").values()}
    assert list(tables) == HISTORY_TABLE_NAMES == list(HISTORY_TABLES)
    spark_to_glue = {"string": "string", "timestamp": "timestamp", "double": "double", "bigint": "bigint",
                     "boolean": "boolean"}
    for name, table in tables.items():
        assert table["DependsOn"] == [database_id]
        assert "DeletionPolicy" not in table  # deleted with the stack: it holds no data, the files stay in S3
        assert table["Properties"]["DatabaseName"] == "spotify_spotify"
        assert table["Properties"]["CatalogId"] == {"Ref": "AWS::AccountId"}
        table_input = table["Properties"]["TableInput"]
        assert table_input["TableType"] == "EXTERNAL_TABLE"
        assert table_input["PartitionKeys"] == [
            {"Name": "run_date", "Type": "string", "Comment": "The UTC day the run started (yyyy-MM-dd)"}]
        assert table_input["Parameters"] == {
            "classification": "parquet",
            "projection.enabled": "true",
            "projection.run_date.type": "date",
            "projection.run_date.format": "yyyy-MM-dd",
            "projection.run_date.range": "2026-12-01,NOW",
            "projection.run_date.interval": "1",
            "projection.run_date.interval.unit": "DAYS",
        }
        descriptor = table_input["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
            (f.name, spark_to_glue[f.dataType.simpleString()]) for f in HISTORY_TABLES[name].fields]
        assert descriptor["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": ids["warehouse"]}, f"/{name}/"]]}
        assert (descriptor["InputFormat"], descriptor["OutputFormat"], descriptor["SerdeInfo"]) == (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        )
    gates = tables["pipeline_run_gates"]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in gates] == [
        ("run_id", "string"), ("started_at", "timestamp"), ("status", "string"), ("gate", "string"),
        ("threshold", "double"), ("measured", "double"), ("passed", "boolean"), ("message", "string")]
    # The crawler stays on tracks/: it never sees, let alone rewrites, the declared tables.
    crawler = next(iter(resources(template, "AWS::Glue::Crawler").values()))["Properties"]
    assert [t["Path"]["Fn::Join"][1][-1] for t in crawler["Targets"]["S3Targets"]] == ["/tracks/"]


def test_a_history_column_of_a_type_the_catalog_cannot_declare_stops_synth():
    schema = T.StructType([T.StructField("run_id", T.StringType()), T.StructField("tags", T.ArrayType(T.StringType()))])
    with pytest.raises(ValueError, match=r"^etl/history\.py: column 'tags' has the Spark type 'array<string>'"):
        glue_columns(schema)
    assert glue_columns(T.StructType([T.StructField("rows", T.LongType())])) == [("rows", "bigint")]


def test_outputs_name_the_run_history_tables_beside_the_ones_make_cloud_needs(default_app):
    outputs = default_app.template_json("pipeline")["Outputs"]
    assert set(REQUIRED_OUTPUTS) < set(outputs)
    assert outputs["RunHistoryTables"]["Value"] == (
        "spotify_spotify.pipeline_runs,spotify_spotify.pipeline_run_files,spotify_spotify.pipeline_run_gates")


def test_workflow_starts_the_job_and_crawls_after_success(default_app):
    template = default_app.template_json("pipeline")
    job_id = next(iter(resources(template, "AWS::Glue::Job")))
    crawler_id = next(iter(resources(template, "AWS::Glue::Crawler")))
    workflow_id = next(iter(resources(template, "AWS::Glue::Workflow")))
    triggers = {t["Properties"]["Type"]: t["Properties"] for t in resources(template, "AWS::Glue::Trigger").values()}
    assert set(triggers) == {"ON_DEMAND", "CONDITIONAL"}
    assert triggers["ON_DEMAND"]["Actions"] == [{"JobName": {"Ref": job_id}}]
    assert triggers["CONDITIONAL"]["Predicate"]["Conditions"] == [
        {"JobName": {"Ref": job_id}, "LogicalOperator": "EQUALS", "State": "SUCCEEDED"}
    ]
    assert triggers["CONDITIONAL"]["Actions"] == [{"CrawlerName": {"Ref": crawler_id}}]
    assert triggers["CONDITIONAL"]["StartOnCreation"] is True
    for trigger in triggers.values():
        assert trigger["WorkflowName"] == {"Ref": workflow_id}


def test_workgroup_is_enforced_encrypted_capped_and_deletable(default_app):
    template = default_app.template_json("pipeline")
    ids = data_bucket_ids(template)
    workgroup = next(iter(resources(template, "AWS::Athena::WorkGroup").values()))["Properties"]
    config = workgroup["WorkGroupConfiguration"]
    assert workgroup["Name"] == "spotify-spotify"
    assert workgroup["RecursiveDeleteOption"] is True
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["BytesScannedCutoffPerQuery"] == 1024 * 1024 * 1024
    results = config["ResultConfiguration"]
    assert results["OutputLocation"] == {"Fn::Join": ["", ["s3://", {"Ref": ids["athena-results"]}, "/results/"]]}
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert results["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"][1] == "Arn"


def test_named_queries_are_the_sql_files_verbatim(default_app):
    template = default_app.template_json("pipeline")
    deployed = {q["Properties"]["Name"]: q["Properties"]
                for q in resources(template, "AWS::Athena::NamedQuery").values()}
    expected = {f"spotify: {q.title}": q.text for q in load_named_queries()}
    assert {name: props["QueryString"] for name, props in deployed.items()} == expected
    assert len(expected) == 17  # 14 over tracks, 3 over the run history (pipeline_*.sql)
    for props in deployed.values():
        assert props["Database"] == "spotify_spotify"
        assert props["WorkGroup"] == "spotify-spotify"


def test_quicksight_is_absent_without_a_principal(default_app):
    template = default_app.template_json("pipeline")
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("AWS::QuickSight::")]


def quicksight_data_sets(template: dict) -> dict[str, dict]:
    """DataSetId -> properties."""
    data_sets = resources(template, "AWS::QuickSight::DataSet").values()
    return {d["Properties"]["DataSetId"]: d["Properties"] for d in data_sets}


def test_quicksight_data_source_and_dataset_with_a_principal(full_app):
    template = full_app.template_json("pipeline")
    source = next(iter(resources(template, "AWS::QuickSight::DataSource").values()))["Properties"]
    assert source["Type"] == "ATHENA"
    assert source["SslProperties"] == {"DisableSsl": False}
    assert source["DataSourceParameters"]["AthenaParameters"]["WorkGroup"] == "alice-spotify"
    assert "Fn::GetAtt" in source["DataSourceParameters"]["AthenaParameters"]["RoleArn"]
    assert source["Permissions"][0]["Principal"] == QUICKSIGHT_USER
    dataset = quicksight_data_sets(template)["alice-spotify-tracks"]
    table = dataset["PhysicalTableMap"]["tracks"]["RelationalTable"]
    assert (table["Schema"], table["Name"], table["Catalog"]) == ("alice_spotify", "tracks", "AwsDataCatalog")
    assert {c["Name"]: c["Type"] for c in table["InputColumns"]} == TRACKS_INPUT_COLUMNS
    assert "genres" not in TRACKS_INPUT_COLUMNS
    assert dataset["Permissions"][0]["Principal"] == QUICKSIGHT_USER


def test_quicksight_reads_each_run_history_table_through_its_own_dataset(full_app):
    template = full_app.template_json("pipeline")
    source_id = next(iter(resources(template, "AWS::QuickSight::DataSource")))
    data_sets = quicksight_data_sets(template)
    assert list(data_sets) == ["alice-spotify-tracks", "alice-spotify-pipeline-runs",
                               "alice-spotify-pipeline-run-files", "alice-spotify-pipeline-run-gates"]
    quicksight_types = {"string": "STRING", "timestamp": "DATETIME", "bigint": "INTEGER", "double": "DECIMAL",
                        "boolean": "BOOLEAN"}
    glue_tables = {t["Properties"]["TableInput"]["Name"]: logical_id
                   for logical_id, t in resources(template, "AWS::Glue::Table").items()}
    depends_on = {r["Properties"]["DataSetId"]: r.get("DependsOn")
                  for r in resources(template, "AWS::QuickSight::DataSet").values()}
    for table_name in HISTORY_TABLE_NAMES:
        data_set_id = f"alice-spotify-{table_name.replace('_', '-')}"
        data_set = data_sets[data_set_id]
        assert depends_on[data_set_id] == [glue_tables[table_name]]  # the table exists before its dataset
        assert data_set["ImportMode"] == "DIRECT_QUERY"
        assert data_set["Permissions"] == data_sets["alice-spotify-tracks"]["Permissions"]
        ((key, physical),) = data_set["PhysicalTableMap"].items()
        assert key == table_name.replace("_", "-")  # physical table keys allow no "_"
        table = physical["RelationalTable"]
        assert (table["Catalog"], table["Schema"], table["Name"]) == ("AwsDataCatalog", "alice_spotify", table_name)
        assert table["DataSourceArn"] == {"Fn::GetAtt": [source_id, "Arn"]}
        assert [(c["Name"], c["Type"]) for c in table["InputColumns"]] == [
            (f.name, quicksight_types[f.dataType.simpleString()]) for f in HISTORY_TABLES[table_name].fields
        ] + [("run_date", "STRING")]
    gates = data_sets["alice-spotify-pipeline-run-gates"]["PhysicalTableMap"]["pipeline-run-gates"]["RelationalTable"]
    assert [(c["Name"], c["Type"]) for c in gates["InputColumns"]] == [
        ("run_id", "STRING"), ("started_at", "DATETIME"), ("status", "STRING"), ("gate", "STRING"),
        ("threshold", "DECIMAL"), ("measured", "DECIMAL"), ("passed", "BOOLEAN"), ("message", "STRING"),
        ("run_date", "STRING")]


def test_quicksight_columns_follow_the_etl_contract():
    from etl.contract import TRACKS_SCHEMA

    quicksight_types = {"string": "STRING", "int": "INTEGER", "bigint": "INTEGER", "boolean": "BOOLEAN",
                        "date": "DATETIME", "double": "DECIMAL"}
    expected = {
        f.name: quicksight_types[f.dataType.simpleString()]
        for f in TRACKS_SCHEMA.fields
        if not f.dataType.simpleString().startswith("array")
    }
    expected["release_year"] = "STRING"  # a crawled hive partition key
    assert TRACKS_INPUT_COLUMNS == expected


def test_options_change_what_they_should(full_app):
    template = full_app.templates["pipeline"]
    template.has_resource_properties(
        "AWS::Glue::Job",
        {"ExecutionClass": "FLEX", "WorkerType": "G.2X", "NumberOfWorkers": 4, "Name": "alice-spotify-etl"},
    )
    template.has_resource_properties("AWS::Glue::Trigger", {"Type": "SCHEDULED", "Schedule": "cron(0 6 * * ? *)"})
    assert not template.find_resources("AWS::Glue::Trigger", {"Properties": {"Type": "ON_DEMAND"}})
    as_json = full_app.template_json("pipeline")
    for bucket in buckets(as_json).values():
        assert bucket["DeletionPolicy"] == "Delete"
    template.resource_count_is("Custom::S3AutoDeleteObjects", 4)
    template.has_resource_properties("AWS::Athena::WorkGroup", {"Name": "alice-spotify"})
    template.has_resource_properties("AWS::Glue::Database",
                                     {"DatabaseInput": Match.object_like({"Name": "alice_spotify"})})


def test_sample_data_upload_can_be_switched_off(tmp_path):
    from tests.stacks.support.synth import synthesize

    app = synthesize(tmp_path, deploySampleData="false")
    app.templates["pipeline"].resource_count_is("Custom::CDKBucketDeployment", 0)
    assert not [r for r in app.template_json("pipeline")["Resources"].values()
                if r["Type"] == "AWS::Lambda::Function"]
