"""The etl package ships to Glue as one zip through --extra-py-files, readable by the job's role alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from stacks.etl_job import package_zip
from tests.stacks.support.synth import ROOT, resources
from tests.stacks.support.template_policies import as_list, role_statements

ASSETS_BUCKET = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}


def package_modules() -> list[str]:
    return sorted(f"etl/{name}" for name in os.listdir(os.path.join(ROOT, "etl")) if name.endswith(".py"))


def glue_job(template: dict) -> dict:
    (job,) = resources(template, "AWS::Glue::Job").values()
    return job["Properties"]


def package_object_key(template: dict) -> str:
    """The zip's key in the CDK assets bucket, from the job's --extra-py-files."""
    location = glue_job(template)["DefaultArguments"]["--extra-py-files"]
    assert location["Fn::Join"][1][:2] == ["s3://", ASSETS_BUCKET]
    (key,) = location["Fn::Join"][1][2:]
    return key.removeprefix("/")


def imported_from(archive: str, module: str, show: str, cwd) -> str:
    """What Glue does with --extra-py-files: the zip on sys.path, then an ordinary import (outside the checkout)."""
    code = f"import sys; sys.path.insert(0, sys.argv[1]); import {module}; {show}"
    result = subprocess.run([sys.executable, "-c", code, archive], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_extra_py_files_is_the_package_zip_asset_holding_every_module(default_app, tmp_path):
    template = default_app.template_json("pipeline")
    key = package_object_key(template)
    asset_hash = key.removesuffix(".zip")
    assert key == f"{asset_hash}.zip" and len(asset_hash) == 64
    stack_name = default_app.stacks["pipeline"].stack_name
    with open(os.path.join(default_app.outdir, f"{stack_name}.assets.json"), encoding="utf-8") as handle:
        asset = json.load(handle)["files"][asset_hash]
    assert asset["source"] == {"path": f"asset.{asset_hash}.zip", "packaging": "file"}
    assert list(asset["destinations"].values())[0]["objectKey"] == key
    with zipfile.ZipFile(os.path.join(default_app.outdir, asset["source"]["path"])) as archive:
        # The package folder itself at the zip's root, so `import etl.entry` finds it; no bytecode.
        assert archive.namelist() == package_modules()
        assert "etl/__init__.py" in archive.namelist() and "etl/entry.py" in archive.namelist()
        for name in archive.namelist():
            with open(os.path.join(ROOT, name), "rb") as source:
                assert archive.read(name) == source.read(), name
    zip_path = os.path.join(default_app.outdir, asset["source"]["path"])
    assert imported_from(zip_path, "etl.entry", "print(etl.entry.__file__)", cwd=tmp_path).strip() == os.path.join(
        zip_path, "etl", "entry.py")
    # The script stays the job's script; the package rides beside it.
    assert glue_job(template)["Command"]["ScriptLocation"]["Fn::Join"][1][-1].endswith(".py")


def test_only_the_job_role_may_read_the_package_object(default_app):
    template = default_app.template_json("pipeline")
    key = package_object_key(template)
    package_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", ASSETS_BUCKET, f"/{key}"]]}
    role_id = glue_job(template)["Role"]["Fn::GetAtt"][0]
    grants = [s for s in role_statements(template, role_id) if package_arn in as_list(s["Resource"])]
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in grants] == [("ReadOwnPackage", "s3:GetObject", package_arn)]
    # In the assets bucket the role reads exactly two objects, the script and the package: no wildcard.
    resources_of_role = [r for s in role_statements(template, role_id) for r in as_list(s["Resource"])]
    in_assets_bucket = [r for r in resources_of_role if "cdk-hnb659fds-assets" in json.dumps(r)]
    assert len(in_assets_bucket) == 2 and not any("*" in json.dumps(r) for r in in_assets_bucket)
    others = [role for role in resources(template, "AWS::IAM::Role") if role != role_id]
    assert not [s for role in others for s in role_statements(template, role) if key in json.dumps(s)]


def test_package_zip_is_byte_for_byte_reproducible_and_importable(tmp_path):
    package = tmp_path / "src" / "etl"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Package."""\n')
    (package / "b.py").write_text("VALUE = 2\n")
    (package / "a.py").write_text("from etl.b import VALUE\n")
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\x00")
    (package / ".a.py.swp").write_bytes(b"\x00")
    first = package_zip(str(package), str(tmp_path / "one"))
    os.utime(package / "a.py", (0, 0))  # another checkout: other times, same contents
    second = package_zip(str(package), str(tmp_path / "two"))
    with open(first, "rb") as one, open(second, "rb") as two:
        assert one.read() == two.read()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["etl/__init__.py", "etl/a.py", "etl/b.py"]
    result = imported_from(first, "etl.a", "print(etl.a.VALUE, etl.a.__file__)", cwd=tmp_path)
    assert result.split() == ["2", os.path.join(first, "etl", "a.py")]
