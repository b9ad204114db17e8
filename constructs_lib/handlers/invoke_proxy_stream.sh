#!/bin/sh
# AWS_LAMBDA_EXEC_WRAPPER for AgentApiFacade's streaming proxy: instead of the Python runtime interface
# client (which cannot stream), run invoke_proxy.py's own runtime loop, which posts responses in the
# Lambda runtime API's streaming mode. The original runtime command ("$@") is deliberately not run.
exec /var/lang/bin/python3 "${LAMBDA_TASK_ROOT:-/var/task}/invoke_proxy.py"
