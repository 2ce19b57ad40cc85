"""The optional Spotify Web API ingestion stack."""

from __future__ import annotations

import glob
import json
import os
import subprocess

import sqlglot

from ingestion import QUERIES_DIR
from sql.queries import load_named_queries
from tests.stacks.support.synth import CFN_LINT, assert_matches_snapshot, resources


def policy_statements(template: dict, role_fragment: str) -> dict:
    """Sid -> statement for the policy attached to the role whose logical id contains role_fragment."""
    found = {}
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(role_fragment in r for r in roles):
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                found[statement.get("Sid")] = statement
    return found


def suffix(resource) -> str:
    return resource["Fn::Join"][1][-1]


def test_ingestion_stack_exists_only_when_enabled(default_app, full_app, ingestion_app):
    assert set(default_app.stacks) == {"pipeline"} == set(full_app.stacks)
    assert set(ingestion_app.stacks) == {"pipeline", "ingestion"}
    assert ingestion_app.stacks["pipeline"] in ingestion_app.stacks["ingestion"].dependencies


def test_hourly_schedule_invokes_the_extractor(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    rule = next(iter(resources(template, "AWS::Events::Rule").values()))["Properties"]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    extract_id = next(k for k in resources(template, "AWS::Lambda::Function") if k.startswith("SpotifyApiExtract"))
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [extract_id, "Arn"]}


def test_functions_run_stdlib_code_on_the_latest_python_without_secrets(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    ours = {k: v["Properties"] for k, v in resources(template, "AWS::Lambda::Function").items()
            if k.startswith("SpotifyApi")}
    assert len(ours) == 2
    for props in ours.values():
        assert props["Runtime"] == "python3.14"
        variables = props["Environment"]["Variables"] if "Environment" in props else {}
        assert "client_secret" not in json.dumps(variables).lower()
        assert props["LoggingConfig"]["LogGroup"]
    extract = next(p for k, p in ours.items() if k.startswith("SpotifyApiExtract"))
    variables = extract["Environment"]["Variables"]
    assert variables["PLAYLIST_IDS"] == "3cEYpjA9oz9GiPac4AsH4n,0v1XpBHnsbkCn7iJ9Ucr1l"
    assert variables["SPOTIFY_API_BASE_URL"] == "https://api.spotify.com"
    assert variables["SPOTIFY_ACCOUNTS_URL"] == "https://accounts.spotify.com"
    assert "Ref" in variables["SECRET_ARN"]
    # Reserving concurrency fails the deploy in new accounts (quota 10, 100 must stay unreserved).
    assert "ReservedConcurrentExecutions" not in extract
    for group in resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30


def test_secret_is_created_without_a_value_or_a_fixed_name(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    secret_id, resource = next(iter(resources(template, "AWS::SecretsManager::Secret").items()))
    secret = resource["Properties"]
    assert "Name" not in secret  # generated: a kept secret can never collide with the next deploy
    assert "SecretString" not in secret and "GenerateSecretString" not in secret
    assert "KmsKeyId" in secret
    assert resource["DeletionPolicy"] == "Delete"
    assert template["Outputs"]["CredentialsSecret"]["Value"] == {"Ref": secret_id}


def test_an_existing_secret_can_be_adopted_by_arn(tmp_path):
    from tests.stacks.support.synth import synthesize

    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:alice-spotify-credentials-AbCdEf"
    app = synthesize(tmp_path, ingestionEnabled="true", ingestionPlaylistIds="3cEYpjA9oz9GiPac4AsH4n",
                     ingestionSecretArn=arn)
    template = app.template_json("ingestion")
    assert resources(template, "AWS::SecretsManager::Secret") == {}
    assert template["Outputs"]["CredentialsSecret"]["Value"] == arn
    extract = policy_statements(template, "SpotifyApiExtractRole")
    assert extract["ReadConsentAndKeepRotatedToken"]["Resource"] == arn
    function = next(v for k, v in resources(template, "AWS::Lambda::Function").items()
                    if k.startswith("SpotifyApiExtract"))
    assert function["Properties"]["Environment"]["Variables"]["SECRET_ARN"] == arn


def test_landing_notification_is_filtered_to_the_raw_prefix(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    notification = next(iter(resources(template, "Custom::S3BucketNotifications").values()))["Properties"]
    configuration = notification["NotificationConfiguration"]["LambdaFunctionConfigurations"][0]
    assert configuration["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"]: r["Value"] for r in configuration["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": "raw_data/to_processed/", "suffix": ".json"}


def test_roles_are_scoped_to_their_prefixes_and_the_secret(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    secret_id = next(iter(resources(template, "AWS::SecretsManager::Secret")))
    extract = policy_statements(template, "SpotifyApiExtractRole")
    assert extract["ReadConsentAndKeepRotatedToken"]["Action"] == [
        "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]
    assert extract["ReadConsentAndKeepRotatedToken"]["Resource"] == {"Ref": secret_id}
    assert extract["WriteRawFiles"]["Action"] == "s3:PutObject"
    assert suffix(extract["WriteRawFiles"]["Resource"]) == "/raw_data/to_processed/*"
    transform = policy_statements(template, "SpotifyApiTransformRole")
    assert "ReadConsentAndKeepRotatedToken" not in transform
    assert transform["ReadWhichRunIsCurrent"]["Action"] == "s3:GetObject"
    assert suffix(transform["ReadWhichRunIsCurrent"]["Resource"]) == "/transformed_data/_state/current_run.json"
    # Without ListBucket, S3 answers GetObject on a moved file with 403, not the 404 the code expects.
    landing_id = next(k for k in resources(template, "AWS::S3::Bucket") if k.startswith("SpotifyApiLanding"))
    assert transform["ListLandingBucket"] == {"Action": "s3:ListBucket", "Effect": "Allow",
                                              "Resource": {"Fn::GetAtt": [landing_id, "Arn"]},
                                              "Sid": "ListLandingBucket"}
    assert sorted(transform["ReadAndRemoveRawFiles"]["Action"]) == ["s3:DeleteObject", "s3:GetObject"]
    assert suffix(transform["ReadAndRemoveRawFiles"]["Resource"]) == "/raw_data/to_processed/*"
    assert sorted(suffix(r) for r in transform["WriteOutputsAndMovedFiles"]["Resource"]) == [
        "/raw_data/errors/*", "/raw_data/processed/*", "/transformed_data/*"]
    for statements in (extract, transform):
        actions = [a for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list)
                                                            else [s["Action"]])]
        assert not [a for a in actions if a.endswith("*") or a == "s3:DeleteObject*"]


def test_failed_invocations_go_to_a_queue_and_raise_alarms(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    configs = resources(template, "AWS::Lambda::EventInvokeConfig")
    assert len(configs) == 2
    queue_id = next(iter(resources(template, "AWS::SQS::Queue")))
    for config in configs.values():
        props = config["Properties"]
        assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
        assert props["MaximumRetryAttempts"] == 2
    assert len(resources(template, "AWS::CloudWatch::Alarm")) == 3


def test_crawler_and_named_queries_share_the_pipeline_catalog(ingestion_app):
    template = ingestion_app.template_json("ingestion")
    crawler = next(iter(resources(template, "AWS::Glue::Crawler").values()))["Properties"]
    assert crawler["DatabaseName"] == "spotify_spotify"
    assert crawler["TablePrefix"] == "api_"
    assert crawler["CrawlerSecurityConfiguration"] == "spotify-spotify-encryption"
    paths = [suffix(t["Path"]) for t in crawler["Targets"]["S3Targets"]]
    # The current state (one file each run replaces) and the history (a file per run): new data is visible
    # without a crawl; the daily crawl keeps the schema.
    assert paths == ["/transformed_data/songs_data/", "/transformed_data/albums_data/",
                     "/transformed_data/artists_data/", "/transformed_data/playlist_tracks_data/",
                     "/transformed_data/playlist_tracks_history/"]
    queries = {q["Properties"]["Name"]: q["Properties"]
               for q in resources(template, "AWS::Athena::NamedQuery").values()}
    assert set(queries) == {"spotify: Most popular songs (Spotify API)",
                            "spotify: Albums with the most tracks (Spotify API)",
                            "spotify: Artist collaborations (Spotify API)",
                            "spotify: Songs added per month (Spotify API)",
                            "spotify: Playlist changes (Spotify API)"}
    for props in queries.values():
        assert props["WorkGroup"] == "spotify-spotify"


def test_ingestion_queries_parse_as_trino_sql():
    queries = load_named_queries(QUERIES_DIR)
    assert len(queries) == 5
    for query in queries:
        sqlglot.parse_one(query.text, read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def test_ingestion_templates_lint_clean_and_match_snapshot(ingestion_app):
    templates = sorted(glob.glob(os.path.join(ingestion_app.outdir, "*.template.json")))
    result = subprocess.run([CFN_LINT, *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    snapshot = os.path.join(os.path.dirname(__file__), "snapshots", "ingestion.template.json")
    assert_matches_snapshot(snapshot, ingestion_app.template_json("ingestion"))
