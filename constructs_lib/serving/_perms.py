"""IAM actions of the serving constructs (the ones ``constructs_lib._cdk.perms`` does not already name)."""

from __future__ import annotations

from constructs_lib._cdk.perms import STOP_RUNTIME_SESSION

#: Invoking a Lambda function (the WebSocket route proxy hands messages to the relay function).
INVOKE_FUNCTION = "lambda:InvokeFunction"

__all__ = ["INVOKE_FUNCTION", "STOP_RUNTIME_SESSION"]
