#!/usr/bin/env bash
# Build the wheel and the sdist, install the WHEEL into a clean virtualenv and synthesize a small user app with it,
# from a temporary directory (the checkout is not on sys.path), through the pinned CDK CLI.
# Needs `make setup` (the dev virtualenv with `build`, node_modules with the CDK CLI and the pinned Node).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export JSII_NODE="${JSII_NODE:-$REPO/node_modules/.bin/node}"
export PATH="$REPO/node_modules/.bin:$PATH" CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true

echo "-- python -m build (sdist and wheel)"
# The isolated build environment gets the pinned setuptools too (PIP_CONSTRAINT reaches the pip that build runs).
PIP_CONSTRAINT="$REPO/constraints.txt" "$REPO/.venv/bin/python" -m build --outdir "$WORK/dist" "$REPO" > "$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/*.whl)"
SDIST="$(ls "$WORK"/dist/*.tar.gz)"
echo "   $(basename "$WHEEL") $(basename "$SDIST")"

echo "-- the distributions hold every file of the package and the license"
"$REPO/.venv/bin/python" - "$REPO" "$WHEEL" "$SDIST" <<'EOF'
import sys, tarfile, zipfile
from pathlib import Path

repo, wheel, sdist = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
source = {p.relative_to(repo).as_posix() for p in (repo / "constructs_lib").rglob("*")
          if p.is_file() and "__pycache__" not in p.parts}
with zipfile.ZipFile(wheel) as zf:
    infos = {i.filename: i for i in zf.infolist()}
    metadata = next(zf.read(n).decode() for n in infos if n.endswith(".dist-info/METADATA"))
missing = sorted(source - set(infos))
assert not missing, f"wheel lacks {missing}"
assert any(n.endswith(".dist-info/licenses/LICENSE") for n in infos), "wheel lacks the LICENSE"
assert "License-Expression: Apache-2.0" in metadata, "wheel metadata lacks the SPDX license expression"
# Lambda runs the stream wrapper as a program: the wheel must keep its executable bit.
mode = infos["constructs_lib/handlers/invoke_proxy_stream.sh"].external_attr >> 16
assert mode & 0o111, f"invoke_proxy_stream.sh is not executable in the wheel ({oct(mode)})"
with tarfile.open(sdist) as tf:
    names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
missing = sorted((source | {"LICENSE", "pyproject.toml", "README.md"}) - names)
assert not missing, f"sdist lacks {missing}"
print(f"   wheel: {len(source)} package files, LICENSE, License-Expression; sdist: the same and LICENSE")
EOF

echo "-- a clean virtualenv with the wheel and its dependencies (the versions tested here)"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$REPO/constraints.txt" "$WHEEL"

echo "-- synthesize the smoke app from $WORK/app with the installed library"
cp -r "$REPO/.ci/wheel_smoke" "$WORK/app"
"$REPO/.venv/bin/python" - "$REPO/cdk.json" "$WORK/app/cdk.json" "$WORK/venv/bin/python" <<'EOF'
import json, sys
flags = {k: v for k, v in json.load(open(sys.argv[1]))["context"].items() if not k.startswith("agentcore:")}
# -I: neither the working directory nor PYTHONPATH on sys.path; the library can only come from the virtualenv.
json.dump({"app": f"{sys.argv[3]} -I app.py", "notices": False, "context": flags}, open(sys.argv[2], "w"), indent=2)
EOF
cd "$WORK/app"
"$WORK/venv/bin/python" -I - "$WORK/venv" <<'EOF'
import sys
from importlib.metadata import version
from pathlib import Path

import constructs_lib

location = Path(constructs_lib.__file__).resolve()
assert location.is_relative_to(Path(sys.argv[1]).resolve()), f"constructs_lib imported from {location}"
assert constructs_lib.__version__ == version("agentcore-constructs"), "__version__ differs from the wheel's version"
print(f"   constructs_lib {constructs_lib.__version__} from {location.parent}")
EOF
cdk synth --quiet --output cdk.out > synth.log 2>&1 || { cat synth.log; exit 1; }
if grep -E "^(WARNING|ERROR)" synth.log; then cat synth.log; echo "the smoke app must synthesize without findings"; exit 1; fi

echo "-- the synthesized assets hold the handlers from the installed package; the two stages share no name"
"$WORK/venv/bin/python" -I - "$WORK/app/cdk.out" <<'EOF'
import json, os, sys
from pathlib import Path

out = Path(sys.argv[1])
# Properties that are physical names AWS requires to be unique per account and region (API names: per metric).
NAMES = {"AWS::BedrockAgentCore::Runtime": "AgentRuntimeName", "AWS::CloudWatch::Alarm": "AlarmName",
         "AWS::CloudWatch::Dashboard": "DashboardName", "AWS::DynamoDB::Table": "TableName",
         "AWS::Lambda::Function": "FunctionName", "AWS::Logs::LogGroup": "LogGroupName",
         "AWS::ApiGateway::RestApi": "Name", "AWS::WAFv2::WebACL": "Name"}
names = {}
for stage in ("MyStack-dev", "MyStack-staging"):
    template = json.loads((out / f"{stage}.template.json").read_text())
    resources = template["Resources"].values()
    functions = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    assert functions, f"{stage}: no Lambda function synthesized"
    asset_files = {}
    for function in functions:
        asset = out / function["Metadata"]["aws:asset:path"]
        asset_files.update({p.name: p for p in asset.iterdir()})
    expected = {"invoke_proxy.py", "staging_urls.py", "invoke_proxy_stream.sh"}
    assert expected <= set(asset_files), f"facade assets hold {sorted(asset_files)}, expected {sorted(expected)}"
    assert os.access(asset_files["invoke_proxy_stream.sh"], os.X_OK), "invoke_proxy_stream.sh lost its executable bit"
    runtimes = [r for r in resources if r["Type"] == "AWS::BedrockAgentCore::Runtime"]
    assert len(runtimes) == 1 and "CodeConfiguration" in runtimes[0]["Properties"]["AgentRuntimeArtifact"]
    assert any(r["Type"] == "AWS::CloudWatch::Alarm" for r in resources), "no alarm synthesized"
    for resource in resources:
        prop = NAMES.get(resource["Type"])
        value = resource.get("Properties", {}).get(prop) if prop else None
        if isinstance(value, str):  # a name joined from a runtime id is unique once deployed
            names.setdefault(json.dumps([resource["Type"], value], sort_keys=True), []).append(stage)
    print(f"   {stage}: {len(template['Resources'])} resources; {len(functions)} functions with {sorted(asset_files)}")
shared = sorted(name for name, stages in names.items() if len(stages) > 1)
assert not shared, f"names used by both stages: {shared}"
print(f"   {len(names)} physical names, none shared by the two stages")
EOF
echo "wheel smoke passed"
