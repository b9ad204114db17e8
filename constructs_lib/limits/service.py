"""AgentCore service facts that are not quotas: names, the session id rule, metric and endpoint names; and the name
rules of the services the library puts around an agent (ECR, S3, API Gateway, WAF, Step Functions, DynamoDB).

The CloudFormation schema and botocore's model state these rules loosely (unanchored patterns, a session id of up to
256 characters that AgentCore echoes only up to 100); the library states them once, here, as the service enforces them.
"""

from __future__ import annotations

import re

#: CloudWatch namespace of AgentCore Runtime metrics.
METRIC_NAMESPACE = "AWS/Bedrock-AgentCore"
#: The endpoint every runtime has; it follows the latest version.
DEFAULT_ENDPOINT = "DEFAULT"

#: The longest runtime or endpoint name the service accepts.
NAME_MAX_LENGTH = 48
#: Runtime and endpoint names as the service accepts them. The CloudFormation schema carries the same pattern without
#: anchors, so neither cfn-lint nor CDK's template validation rejects ``my-agent``.
NAME_PATTERN = re.compile(rf"^[a-zA-Z][a-zA-Z0-9_]{{0,{NAME_MAX_LENGTH - 1}}}$")
#: Letters and digits the service appends, after a hyphen, to a runtime's or capacity provider's name to make its id
#: (botocore's ``AgentRuntimeId`` pattern ``<name>-[a-zA-Z0-9]{10}``). A runtime's workload identity carries the same
#: id, and its log groups start with it.
ID_SUFFIX_LENGTH = 10
#: Capacity provider ARNs as the service issues them: the name, a hyphen and the id suffix.
CAPACITY_PROVIDER_ARN_PATTERN = re.compile(
    r"^arn:aws(-[^:]+)?:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:capacity-provider/"
    rf"[a-zA-Z][a-zA-Z0-9_]{{0,{NAME_MAX_LENGTH - 1}}}-[a-zA-Z0-9]{{{ID_SUFFIX_LENGTH}}}$"
)
#: Bedrock model ids an agent may be granted: a foundation model or cross-region inference profile id
#: (``anthropic.claude-sonnet-4-20250514-v1:0``, ``us.anthropic...``), the id part of botocore's ``FoundationModelArn``
#: pattern.
MODEL_ID_PATTERN = re.compile(r"^[a-z0-9-]{1,63}[.]([a-z0-9-]{1,63}[.]){0,2}[a-z0-9-]{1,63}([:][a-z0-9-]{1,63}){0,2}$")
#: Bedrock ARNs an agent may be granted: models, inference profiles and prompt routers.
MODEL_ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z-]+)?:bedrock:[a-z0-9-]{0,20}:([0-9]{12})?:"
    r"(foundation-model|inference-profile|application-inference-profile|custom-model|provisioned-model|"
    r"imported-model|custom-model-deployment|prompt-router|default-prompt-router)/[a-zA-Z0-9-:./]+$"
)
#: Names of capacity provider volumes (persistent EBS volumes a runtime mounts); hyphens are allowed here.
VOLUME_NAME_PATTERN = re.compile(rf"^[a-zA-Z][a-zA-Z0-9_-]{{0,{NAME_MAX_LENGTH - 1}}}$")
#: The longest filesystem mount path of a runtime.
MOUNT_PATH_MAX_LENGTH = 200
#: Filesystem mount paths of a runtime: one directory under ``/mnt``.
MOUNT_PATH_PATTERN = re.compile(r"^/mnt/[a-zA-Z0-9._-]+/?$")
#: Keys of runtime environment variables.
ENVIRONMENT_KEY_PATTERN = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

#: Tag keys and values as AgentCore (and AWS tagging generally) accepts them: letters, digits, spaces and ``._:/=+@-``.
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9\s._:/=+@-]*$")
#: The tag key prefix AWS reserves for itself.
RESERVED_TAG_PREFIX = "aws:"

# -- names of the services around an agent (their API references) ----------------------------------------------------

#: ECR repository names: lowercase path segments of letters and digits joined by ``.``, ``_`` or ``-``; 2 to 256.
ECR_REPOSITORY_NAME_PATTERN = re.compile(
    r"^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
)
#: S3 bucket names (general purpose): 3 to 63 lowercase letters, digits, ``.`` and ``-``, starting and ending with a
#: letter or digit.
S3_BUCKET_NAME_PATTERN = re.compile(r"^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$")
#: API Gateway stage names: letters, digits and underscores, 1 to 128.
API_STAGE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_]{1,128}$")
#: A regional AWS WAF web ACL ARN, the only kind an API Gateway stage can be associated with.
WAF_REGIONAL_WEB_ACL_ARN_PATTERN = re.compile(
    r"^arn:aws(-[a-z-]+)?:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[a-zA-Z0-9_-]{1,128}/[a-zA-Z0-9-]{1,128}$"
)
#: Step Functions state machine names: letters, digits, ``-`` and ``_`` (the library's rule, within the service's),
#: their length in the quota catalog.
STATE_MACHINE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
#: DynamoDB table names: 3 to 255 letters, digits, ``_``, ``-`` and ``.``.
DYNAMODB_TABLE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")

#: Runtime versions as AgentCore numbers them (``AgentRuntimeVersion`` of the control plane's endpoint operations,
#: whole string): a whole number from 1, at most five digits.
RUNTIME_VERSION_PATTERN = re.compile(r"^[1-9][0-9]{0,4}$")

#: Header carrying the runtime session id (requests and responses of InvokeAgentRuntime).
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
#: The shortest runtime session id InvokeAgentRuntime accepts.
SESSION_ID_MIN_LENGTH = 33
#: The longest runtime session id the library uses: AgentCore accepts 256 characters but echoes at most 100.
SESSION_ID_MAX_LENGTH = 100
#: Runtime session ids the library accepts and generates (whole string): the first character alphanumeric.
SESSION_ID_PATTERN = re.compile(
    rf"^[A-Za-z0-9][A-Za-z0-9_-]{{{SESSION_ID_MIN_LENGTH - 1},{SESSION_ID_MAX_LENGTH - 1}}}$"
)

#: Where AgentCore writes a runtime's application logs: one log group per endpoint,
#: ``/aws/bedrock-agentcore/runtimes/<runtimeId>-<endpoint>``, created by the service on the endpoint's first
#: invocation unless it exists. Runtimes created since 2026-07-20 also deliver their spans there (stream ``spans``)
#: instead of the account's shared ``aws/spans`` group.
#: See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-get-started.html and
#: https://aws.amazon.com/about-aws/whats-new/2026/07/amazon-bedrock-agentcore-unified-observability-single-log-group/
RUNTIME_LOG_GROUP_PREFIX = "/aws/bedrock-agentcore/runtimes/"

#: Regions where platform version V2 is available.
#: See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-how-it-works.html#runtime-platform-versions
#: (fetched 2026-09-26).
PLATFORM_VERSION_V2_REGIONS = frozenset({"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"})

# Request headers a runtime may forward to its code (RequestHeaderConfiguration.RequestHeaderAllowlist). botocore's
# model and the CloudFormation schema check only the name pattern; the rest AgentCore does not let a runtime forward.
# See: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-header-allowlist.html (fetched 2026-09-26)

#: A request header name as the schema and botocore accept it (its length is the quota ``request_header_name_length``).
REQUEST_HEADER_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: The prefix of the custom headers AgentCore forwards; the only ``x-amzn-`` headers a runtime may forward.
CUSTOM_REQUEST_HEADER_PREFIX = "X-Amzn-Bedrock-AgentCore-Runtime-Custom-"
#: Prefixes no forwarded header may start with (compared case-insensitively): ``x-amz-`` is reserved for SigV4
#: signing, ``x-amzn-`` for AWS (except :data:`CUSTOM_REQUEST_HEADER_PREFIX`).
RESERVED_REQUEST_HEADER_PREFIXES = ("x-amz-", "x-amzn-")
#: The header a runtime may forward only when it authorizes callers with a JWT (``customJWTAuthorizer``).
AUTHORIZATION_HEADER = "Authorization"
#: Headers AgentCore never forwards, by the category its documentation gives them. HTTP/2 pseudo headers (``:path``)
#: are restricted too; they fail :data:`REQUEST_HEADER_PATTERN` already.
RESTRICTED_REQUEST_HEADERS: dict[str, tuple[str, ...]] = {
    "authentication": ("Proxy-Authorization", "WWW-Authenticate"),
    "content negotiation": (
        "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Content-Type", "Content-Length",
        "Content-Encoding", "Content-Language", "Content-Location", "Content-Range",
    ),
    "caching": (
        "Cache-Control", "ETag", "Expires", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
        "If-Unmodified-Since", "Last-Modified", "Pragma", "Vary",
    ),
    "connection management": ("Connection", "Keep-Alive", "Proxy-Connection", "Upgrade"),
    "request context": ("Host", "User-Agent", "Referer", "From"),
    "range and transfer": ("Range", "Accept-Ranges", "Transfer-Encoding", "TE", "Trailer"),
    "server information": ("Server", "Date", "Location", "Retry-After"),
    "cookies": ("Set-Cookie", "Cookie"),
    "security": (
        "Content-Security-Policy", "Content-Security-Policy-Report-Only", "Strict-Transport-Security",
        "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection", "Referrer-Policy", "Permissions-Policy",
        "Cross-Origin-Embedder-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
    ),
    "CORS": (
        "Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
        "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
        "Access-Control-Request-Method", "Access-Control-Request-Headers", "Origin",
    ),
    "client hints": (
        "Accept-CH", "Accept-CH-Lifetime", "DPR", "Width", "Viewport-Width", "Downlink", "ECT", "RTT", "Save-Data",
    ),
    "experimental": (
        "Clear-Site-Data", "Feature-Policy", "Expect-CT", "Public-Key-Pins", "Public-Key-Pins-Report-Only",
    ),
    "proxy": (
        "Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP",
        "X-Requested-With", "X-CSRF-Token",
    ),
    "IP spoofing and URL manipulation": (
        "True-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "X-Originating-IP", "X-Source-IP", "X-Original-URL",
        "X-Original-Host", "X-Rewrite-URL",
    ),
    "CDN": ("CF-Ray", "CF-Connecting-IP", "X-Amz-Cf-Id", "X-Cache", "X-Served-By"),
    "server push": ("Link",),
    "WebSocket": (
        "Sec-WebSocket-Key", "Sec-WebSocket-Accept", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
    ),
}

#: The longest ``runtimeUserId`` InvokeAgentRuntime accepts (botocore's ``bedrock-agentcore`` model).
RUNTIME_USER_ID_MAX_LENGTH = 1024

#: The longest DynamoDB table name (botocore's ``dynamodb`` model, shape ``TableName``): the length a size estimate
#: gives a name or ARN part it cannot see at synth (CloudFormation generates it), the longest such name the library
#: creates being a table's.
UNRESOLVED_NAME_MAX_LENGTH = 255

__all__ = [
    "API_STAGE_NAME_PATTERN",
    "UNRESOLVED_NAME_MAX_LENGTH",
    "AUTHORIZATION_HEADER",
    "CAPACITY_PROVIDER_ARN_PATTERN",
    "CUSTOM_REQUEST_HEADER_PREFIX",
    "DEFAULT_ENDPOINT",
    "DYNAMODB_TABLE_NAME_PATTERN",
    "ECR_REPOSITORY_NAME_PATTERN",
    "ENVIRONMENT_KEY_PATTERN",
    "ID_SUFFIX_LENGTH",
    "METRIC_NAMESPACE",
    "MODEL_ARN_PATTERN",
    "MODEL_ID_PATTERN",
    "MOUNT_PATH_MAX_LENGTH",
    "MOUNT_PATH_PATTERN",
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "PLATFORM_VERSION_V2_REGIONS",
    "REQUEST_HEADER_PATTERN",
    "RESERVED_REQUEST_HEADER_PREFIXES",
    "RESERVED_TAG_PREFIX",
    "RESTRICTED_REQUEST_HEADERS",
    "RUNTIME_LOG_GROUP_PREFIX",
    "RUNTIME_USER_ID_MAX_LENGTH",
    "RUNTIME_VERSION_PATTERN",
    "S3_BUCKET_NAME_PATTERN",
    "SESSION_HEADER",
    "SESSION_ID_MAX_LENGTH",
    "SESSION_ID_MIN_LENGTH",
    "SESSION_ID_PATTERN",
    "STATE_MACHINE_NAME_PATTERN",
    "TAG_PATTERN",
    "VOLUME_NAME_PATTERN",
    "WAF_REGIONAL_WEB_ACL_ARN_PATTERN",
]
