#!/bin/sh
# AWS_LAMBDA_EXEC_WRAPPER for AgentApiFacade's streaming proxy: instead of the Python runtime interface
# client (which cannot stream), run the library's runtime loop (stream_runtime.py), which posts responses in the
# Lambda runtime API's streaming mode and serves invoke_proxy.stream. The original runtime command ("$@") is
# deliberately not run.
exec /var/lang/bin/python3 "${LAMBDA_TASK_ROOT:-/var/task}/stream_runtime.py" invoke_proxy.stream
