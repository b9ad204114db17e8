"""A local run-time harness: the library's Lambda handlers run from their synthesized assets, over real HTTP on
127.0.0.1, against stand-ins that speak the AWS wire protocol (see README.md in this folder).

Modules, one job each: ``agentcore`` and ``agent_script`` (the AgentCore data plane and what it answers),
``apigw_management`` (WebSocket frames), ``moto_backend`` (DynamoDB, S3, KMS, AgentCore control plane),
``tripwire`` (every other service), ``service_model`` (botocore's rest-json binding, server side),
``assembly``, ``bindings`` and ``intrinsics`` (a synthesized stack read back and its references resolved),
``lambda_env``, ``runtime_api`` and ``lambda_sandbox`` (a function's execution environment),
``callers``, ``proxy_events``, ``routes``, ``rest_front_door`` and ``websocket_driver`` (API Gateway),
``http_client`` (a caller), ``harness`` (all of it for one stack) and ``fixtures`` (pytest).
"""
