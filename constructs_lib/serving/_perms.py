"""IAM actions of the serving constructs (the ones ``constructs_lib._cdk.perms`` does not already name)."""

from __future__ import annotations

#: Stopping a runtime session (on the runtime ARN and the endpoint ARN the qualifier names).
STOP_RUNTIME_SESSION = "bedrock-agentcore:StopRuntimeSession"
#: Invoking a Lambda function (the WebSocket route proxy hands messages to the relay function).
INVOKE_FUNCTION = "lambda:InvokeFunction"

__all__ = ["INVOKE_FUNCTION", "STOP_RUNTIME_SESSION"]
