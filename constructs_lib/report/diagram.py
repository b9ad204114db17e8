"""The architecture of a synthesized app as a graph: its agents and what connects to them, grouped by place and stack.

Read from the templates only, never from naming conventions: a resource is a node when its type is one the diagram
knows (:data:`NODE_TYPES`), and an edge is a reference in the template from one node to another:

- a role's policy: a principal (function, agent, state machine) whose role may act on a node (the verbs come from the
  IAM actions: invokes, reads, writes);
- an environment variable of a function or an agent that refers to a node (an agent's tool list names its tools);
- an API's integration with a function, a state machine's definition, a rule's targets, an event source mapping, a
  topic's subscription;
- an alarm's metric dimensions (the resource it watches) and its actions (the topic it notifies). Alarms of one stack
  are one node.

Only the parts of the graph connected to an AgentCore runtime are kept; a resource type the diagram does not know is
left out. Ids are derived from stack keys and logical ids, and everything is sorted, so the output is deterministic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from constructs_lib.planning.record import PLAN_METADATA_KEY
from constructs_lib.report.assembly import CloudAssembly, StackTemplate
from constructs_lib.report.references import References, ResourceId


class NodeKind(StrEnum):
    """What a node of the diagram is."""

    AGENT = "agent"
    REST_API = "rest_api"
    WEBSOCKET_API = "websocket_api"
    HTTP_API = "http_api"
    PROXY = "proxy"
    TOOL = "tool"
    FUNCTION = "function"
    STATE_MACHINE = "state_machine"
    TABLE = "table"
    BUCKET = "bucket"
    RULE = "rule"
    ALARMS = "alarms"
    TOPIC = "topic"


#: The resource types the diagram shows, and the kind of node each becomes (functions are refined to proxies and
#: tools by what connects to them; an ``ApiGatewayV2::Api`` by its protocol).
NODE_TYPES: Mapping[str, NodeKind] = {
    "AWS::BedrockAgentCore::Runtime": NodeKind.AGENT,
    "AWS::ApiGateway::RestApi": NodeKind.REST_API,
    "AWS::ApiGatewayV2::Api": NodeKind.HTTP_API,
    "AWS::Lambda::Function": NodeKind.FUNCTION,
    "AWS::StepFunctions::StateMachine": NodeKind.STATE_MACHINE,
    "AWS::DynamoDB::Table": NodeKind.TABLE,
    "AWS::DynamoDB::GlobalTable": NodeKind.TABLE,
    "AWS::S3::Bucket": NodeKind.BUCKET,
    "AWS::Events::Rule": NodeKind.RULE,
    "AWS::SNS::Topic": NodeKind.TOPIC,
}
ALARM_TYPE = "AWS::CloudWatch::Alarm"
ENDPOINT_TYPE = "AWS::BedrockAgentCore::RuntimeEndpoint"
#: The property that names each principal's role.
_ROLE_PROPERTY = {
    "AWS::Lambda::Function": "Role",
    "AWS::BedrockAgentCore::Runtime": "RoleArn",
    "AWS::StepFunctions::StateMachine": "RoleArn",
}
_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
#: The property holding each node type's name, which a metric dimension may give as a plain string (API Gateway's
#: ``ApiName`` dimension is the REST API's name, not a reference).
_NAME_PROPERTY = {
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGatewayV2::Api": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SNS::Topic": "TopicName",
}
_ENVIRONMENT = {
    "AWS::Lambda::Function": ("Environment", "Variables"),
    "AWS::BedrockAgentCore::Runtime": ("EnvironmentVariables",),
}
_DEFAULT_ENDPOINT = "DEFAULT"
#: IAM action names by the verb an edge shows, tried in order (``*`` and anything else: "uses").
_VERBS = (
    ("invokes", ("Invoke", "StartExecution", "StartSyncExecution", "SendMessage", "Publish")),
    ("reads", ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "ConditionCheck", "Select", "Head")),
    ("writes", ("Put", "Update", "Delete", "BatchWrite", "Create", "Abort", "Restore")),
)
#: The order verbs are listed on an edge.
VERB_ORDER = ("proxies", "integrates", "invokes", "triggers", "notifies", "reads", "writes", "uses", "metrics")
_PLACEHOLDER = "<<ref:{}:{}>>"
_PLACEHOLDER_PATTERN = re.compile(r"<<ref:([A-Za-z0-9]+):([^>]*)>>")


@dataclass(frozen=True)
class Group:
    """A box of the diagram: a place (account and region), a stack, or a nested stack.

    Attributes:
        id: the diagram id.
        label: what the box shows.
        parent: the id of the enclosing group, ``None`` for a place.
    """

    id: str
    label: str
    parent: str | None


@dataclass(frozen=True)
class Node:
    """One resource (or the alarms of one stack).

    Attributes:
        id: the diagram id.
        kind: what the node is.
        lines: the label, one line each.
        group: the id of the stack group holding it.
    """

    id: str
    kind: NodeKind
    lines: tuple[str, ...]
    group: str


@dataclass(frozen=True)
class Edge:
    """A reference from one node to another.

    Attributes:
        source: the id of the node that refers.
        target: the id of the node referred to.
        verbs: what the source does to the target, in :data:`VERB_ORDER` (empty for a plain reference).
        monitoring: whether this is an alarm watching a metric of the source (drawn dotted).
    """

    source: str
    target: str
    verbs: tuple[str, ...]
    monitoring: bool = False

    @property
    def label(self) -> str:
        """The verbs, comma-separated."""
        return ", ".join(self.verbs)


@dataclass(frozen=True)
class Diagram:
    """The graph of a synthesized app: groups, nodes and edges, each sorted by id.

    Attributes:
        groups: places, stacks and nested stacks (parents before children).
        nodes: the resources shown.
        edges: the references between them.
    """

    groups: tuple[Group, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node:
        """The node with ``node_id``."""
        return next(n for n in self.nodes if n.id == node_id)

    def nodes_of(self, kind: NodeKind) -> list[Node]:
        """The nodes of one kind."""
        return [n for n in self.nodes if n.kind is kind]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "groups": [{"id": g.id, "label": g.label, "parent": g.parent} for g in self.groups],
            "nodes": [{"id": n.id, "kind": n.kind.value, "label": list(n.lines), "group": n.group} for n in self.nodes],
            "edges": [
                {"source": e.source, "target": e.target, "verbs": list(e.verbs), "monitoring": e.monitoring}
                for e in self.edges
            ],
        }


def build_diagram(assembly: CloudAssembly) -> Diagram:
    """The diagram of a synthesized app: every AgentCore runtime and what connects to it."""
    return _Builder(assembly).build()


def diagram_id(*parts: str) -> str:
    """A diagram id from ``parts``: letters, digits and underscores only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


@dataclass
class _Draft:
    """A node while the graph is built."""

    resource: ResourceId
    kind: NodeKind
    stack: StackTemplate
    properties: Mapping[str, Any]
    metadata: Mapping[str, Any]
    endpoints: set[str] = field(default_factory=set)
    tool_name: str | None = None
    alarm_count: int = 0


class _Builder:
    def __init__(self, assembly: CloudAssembly) -> None:
        self.assembly = assembly
        self.refs = References(assembly)
        self.drafts: dict[str, _Draft] = {}
        self.by_resource: dict[ResourceId, str] = {}
        self.edges: dict[tuple[str, str], tuple[set[str], bool]] = {}
        self.names: dict[tuple[str, str], str] = {}

    # ---- nodes
    def build(self) -> Diagram:
        for stack in self.assembly.stacks:
            for logical_id, resource in sorted(stack.resources.items()):
                kind = NODE_TYPES.get(resource.get("Type", ""))
                if kind is not None:
                    self._add_node(stack, logical_id, resource, kind)
        for stack in self.assembly.stacks:
            self._connect(stack)
        self._refine_functions()
        kept = self._connected_to_agents()
        return self._assemble(kept)

    def _add_node(self, stack: StackTemplate, logical_id: str, resource: Mapping[str, Any], kind: NodeKind) -> str:
        properties = resource.get("Properties") or {}
        if kind is NodeKind.HTTP_API and properties.get("ProtocolType") == "WEBSOCKET":
            kind = NodeKind.WEBSOCKET_API
        node_id = diagram_id(stack.key, logical_id)
        self.drafts[node_id] = _Draft((stack.key, logical_id), kind, stack, properties, resource.get("Metadata") or {})
        self.by_resource[(stack.key, logical_id)] = node_id
        name = properties.get(_NAME_PROPERTY.get(resource.get("Type", ""), ""))
        if isinstance(name, str):
            self.names[(stack.key, name)] = node_id
        return node_id

    def _nodes_in(self, stack: StackTemplate, value: Any) -> list[str]:
        return sorted({self.by_resource[r] for r in self.refs.of(stack.key, value) if r in self.by_resource})

    def _edge(self, source: str, target: str, verbs: Iterable[str] = (), *, monitoring: bool = False) -> None:
        if source == target:
            return
        known, dotted = self.edges.get((source, target), (set(), monitoring))
        known.update(verbs)
        self.edges[(source, target)] = (known, dotted and monitoring)

    # ---- edges
    def _connect(self, stack: StackTemplate) -> None:
        principals = self._principals_by_role(stack)
        for logical_id, resource in sorted(stack.resources.items()):
            kind, properties = resource.get("Type", ""), resource.get("Properties") or {}
            own = self.by_resource.get((stack.key, logical_id))
            if kind in _POLICY_TYPES:
                self._policy(stack, properties.get("Roles"), properties.get("PolicyDocument"), principals)
            elif kind == "AWS::IAM::Role":
                for policy in properties.get("Policies") or []:
                    self._policy(stack, {"Ref": logical_id}, policy.get("PolicyDocument"), principals)
            elif kind == ENDPOINT_TYPE:
                for agent in self._nodes_in(stack, properties.get("AgentRuntimeId")):
                    self.drafts[agent].endpoints.add(str(properties.get("Name")))
            elif kind == "AWS::ApiGateway::Method":
                self._integration(stack, properties.get("RestApiId"), properties.get("Integration") or {}, "Uri")
            elif kind == "AWS::ApiGatewayV2::Integration":
                self._integration(stack, properties.get("ApiId"), properties, "IntegrationUri")
            elif kind == "AWS::Lambda::EventSourceMapping":
                for source in self._nodes_in(stack, properties.get("EventSourceArn")):
                    for target in self._nodes_in(stack, properties.get("FunctionName")):
                        self._edge(source, target, ["triggers"])
            elif kind == "AWS::SNS::Subscription":
                for source in self._nodes_in(stack, properties.get("TopicArn")):
                    for target in self._nodes_in(stack, properties.get("Endpoint")):
                        self._edge(source, target, ["notifies"])
            elif kind == ALARM_TYPE:
                self._alarm(stack, properties)
            if own is None:
                continue
            if kind in _ENVIRONMENT:
                self._environment(stack, own, kind, properties)
            if kind == "AWS::StepFunctions::StateMachine":
                definition = [properties.get(k) for k in ("DefinitionString", "Definition", "DefinitionSubstitutions")]
                for target in self._nodes_in(stack, definition):
                    self._edge(own, target)
            if kind == "AWS::Events::Rule":
                for target in (properties.get("Targets") or []):
                    for node in self._nodes_in(stack, target.get("Arn")):
                        self._edge(own, node, ["triggers"])

    def _principals_by_role(self, stack: StackTemplate) -> dict[ResourceId, list[str]]:
        principals: dict[ResourceId, list[str]] = {}
        for logical_id, resource in stack.resources.items():
            role_property = _ROLE_PROPERTY.get(resource.get("Type", ""))
            own = self.by_resource.get((stack.key, logical_id))
            if role_property is None or own is None:
                continue
            for role in self.refs.of(stack.key, (resource.get("Properties") or {}).get(role_property)):
                principals.setdefault(role, []).append(own)
        return principals

    def _policy(
        self, stack: StackTemplate, roles: Any, document: Any, principals: Mapping[ResourceId, list[str]]
    ) -> None:
        who = sorted({p for role in self.refs.of(stack.key, roles) for p in principals.get(role, [])})
        if not who or not isinstance(document, Mapping):
            return
        statements = document.get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect", "Allow") != "Allow":
                continue
            actions = statement.get("Action") or []
            actions = actions if isinstance(actions, list) else [actions]
            verbs = {action_verb(a) for a in actions if isinstance(a, str)}
            for target in self._nodes_in(stack, statement.get("Resource")):
                for principal in who:
                    self._edge(principal, target, verbs)

    def _integration(self, stack: StackTemplate, api: Any, integration: Mapping[str, Any], uri_key: str) -> None:
        verb = "proxies" if integration.get("Type", integration.get("IntegrationType")) == "AWS_PROXY" else "integrates"
        for source in self._nodes_in(stack, api):
            for target in self._nodes_in(stack, integration.get(uri_key)):
                self._edge(source, target, [verb])

    def _environment(self, stack: StackTemplate, own: str, kind: str, properties: Mapping[str, Any]) -> None:
        variables: Any = properties
        for key in _ENVIRONMENT[kind]:
            variables = variables.get(key) or {} if isinstance(variables, Mapping) else {}
        for value in (variables.values() if isinstance(variables, Mapping) else []):
            for target in self._nodes_in(stack, value):
                self._edge(own, target)
            if self.drafts[own].kind is NodeKind.AGENT:
                for target, name in self._tool_list(stack, value):
                    self.drafts[target].tool_name = name
                    self._edge(own, target, ["invokes"])

    def _tool_list(self, stack: StackTemplate, value: Any) -> Iterator[tuple[str, str]]:
        """The functions an environment value names as tools: a JSON list of ``{"name", "arn"}`` objects."""
        text = _with_placeholders(value)
        if text is None:
            return
        try:
            document = json.loads(text)
        except ValueError:
            return
        for item in document if isinstance(document, list) else []:
            if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
                continue
            for match in _PLACEHOLDER_PATTERN.finditer(str(item.get("arn", ""))):
                node = self.by_resource.get((stack.key, match.group(1)))
                if node is not None and self.drafts[node].kind is NodeKind.FUNCTION:
                    yield node, item["name"]

    def _alarm(self, stack: StackTemplate, properties: Mapping[str, Any]) -> None:
        alarms = diagram_id(stack.key, "", "alarms")  # logical ids have no "_": no resource has this id
        if alarms not in self.drafts:
            self.drafts[alarms] = _Draft((stack.key, ""), NodeKind.ALARMS, stack, {}, {})
        self.drafts[alarms].alarm_count += 1
        watched = [properties.get("Dimensions"), properties.get("Metrics")]
        named = {self.names[(stack.key, v)] for v in _dimension_values(watched) if (stack.key, v) in self.names}
        for source in sorted({*self._nodes_in(stack, watched), *named}):
            self._edge(source, alarms, ["metrics"], monitoring=True)
        actions = [properties.get(k) for k in ("AlarmActions", "OKActions", "InsufficientDataActions")]
        for target in self._nodes_in(stack, actions):
            self._edge(alarms, target, ["notifies"])

    # ---- shaping
    def _refine_functions(self) -> None:
        for (source, target), (verbs, _) in self.edges.items():
            draft, origin = self.drafts[target], self.drafts[source].kind
            if draft.kind is NodeKind.FUNCTION and origin is NodeKind.AGENT and "invokes" in verbs:
                draft.kind = NodeKind.TOOL
        for (source, target), _ in self.edges.items():
            draft, origin = self.drafts[target], self.drafts[source].kind
            if draft.kind is NodeKind.FUNCTION and origin in (NodeKind.REST_API, NodeKind.WEBSOCKET_API,
                                                              NodeKind.HTTP_API):
                draft.kind = NodeKind.PROXY

    def _connected_to_agents(self) -> set[str]:
        neighbours: dict[str, set[str]] = {node: set() for node in self.drafts}
        for source, target in self.edges:
            neighbours[source].add(target)
            neighbours[target].add(source)
        kept: set[str] = set()
        frontier = [n for n, d in self.drafts.items() if d.kind is NodeKind.AGENT]
        while frontier:
            node = frontier.pop()
            if node not in kept:
                kept.add(node)
                frontier.extend(neighbours[node] - kept)
        return kept

    def _assemble(self, kept: set[str]) -> Diagram:
        nodes = tuple(
            Node(node_id, d.kind, self._label(d), diagram_id("stack", d.stack.key))
            for node_id, d in sorted(self.drafts.items()) if node_id in kept
        )
        edges = tuple(
            Edge(source, target, tuple(v for v in VERB_ORDER if v in verbs), monitoring)
            for (source, target), (verbs, monitoring) in sorted(self.edges.items())
            if source in kept and target in kept
        )
        return Diagram(self._groups({n.group for n in nodes}), nodes, edges)

    def _groups(self, used: set[str]) -> tuple[Group, ...]:
        stacks = {diagram_id("stack", s.key): s for s in self.assembly.stacks}
        needed = set(used)
        for group in list(used):  # a nested stack's parents are shown around it
            stack = stacks[group]
            while stack.parent is not None:
                needed.add(diagram_id("stack", stack.parent))
                stack = self.assembly.stack(stack.parent)
        groups: list[Group] = []
        places: set[str] = set()
        for stack in self.assembly.stacks:
            group = diagram_id("stack", stack.key)
            if group not in needed:
                continue
            if stack.parent is None:
                place = diagram_id("env", stack.account or "unknown", stack.region or "unknown")
                if place not in places:
                    places.add(place)
                    groups.append(Group(place, _place_label(stack), None))
                groups.append(Group(group, f"stack {stack.key}", place))
            else:
                nested_label = stack.key.removeprefix(stack.parent + "/")
                groups.append(Group(group, f"nested stack {nested_label}", diagram_id("stack", stack.parent)))
        return tuple(sorted(groups, key=lambda g: (g.parent is not None, g.id)))

    def _label(self, draft: _Draft) -> tuple[str, ...]:
        stack, logical_id = draft.stack, draft.resource[1]
        path = stack.path_of(logical_id)
        kind = draft.kind
        if kind is NodeKind.AGENT:
            return self._agent_label(draft, path)
        if kind is NodeKind.ALARMS:
            count = draft.alarm_count
            return (f"{count} CloudWatch alarm{'' if count == 1 else 's'}",)
        if kind is NodeKind.TOOL and draft.tool_name:
            return (f"tool {draft.tool_name}", path)
        if kind is NodeKind.RULE:
            return ("EventBridge rule", _rule_summary(draft.properties), path)
        return (_KIND_LABELS[kind], path)

    def _agent_label(self, draft: _Draft, path: str) -> tuple[str, ...]:
        record = draft.metadata.get(PLAN_METADATA_KEY) or {}
        name = record.get("runtime_name") or draft.properties.get("AgentRuntimeName")
        agent_path = record.get("path")
        shown = agent_path.removeprefix(draft.stack.key + "/") if isinstance(agent_path, str) else path
        endpoints = [_DEFAULT_ENDPOINT, *sorted(draft.endpoints - {_DEFAULT_ENDPOINT})]
        details = ", ".join(filter(None, [record.get("mode"), "endpoints " + ", ".join(endpoints)]))
        title = f"agent {name}" if isinstance(name, str) else "agent"
        return (title, details, shown)


_KIND_LABELS = {
    NodeKind.REST_API: "REST API",
    NodeKind.WEBSOCKET_API: "WebSocket API",
    NodeKind.HTTP_API: "HTTP API",
    NodeKind.PROXY: "proxy function",
    NodeKind.TOOL: "tool",
    NodeKind.FUNCTION: "Lambda function",
    NodeKind.STATE_MACHINE: "Step Functions state machine",
    NodeKind.TABLE: "DynamoDB table",
    NodeKind.BUCKET: "S3 bucket",
    NodeKind.TOPIC: "SNS topic",
}


def action_verb(action: str) -> str:
    """What an IAM action does to its resource, as an edge shows it: invokes, reads, writes or uses."""
    name = action.partition(":")[2]
    for verb, prefixes in _VERBS:
        if name.startswith(prefixes):
            return verb
    return "uses"


def _dimension_values(value: Any) -> Iterator[str]:
    """The plain-string values of the metric dimensions in an alarm's ``Dimensions`` and ``Metrics``."""
    if isinstance(value, list):
        for item in value:
            yield from _dimension_values(item)
    elif isinstance(value, Mapping):
        if set(value) == {"Name", "Value"} and isinstance(value["Value"], str):
            yield value["Value"]
        else:
            for item in value.values():
                yield from _dimension_values(item)


def _rule_summary(properties: Mapping[str, Any]) -> str:
    schedule = properties.get("ScheduleExpression")
    if isinstance(schedule, str):
        return f"schedule {schedule}"
    sources = (properties.get("EventPattern") or {}).get("source") or []
    return "events from " + ", ".join(str(s) for s in sources) if sources else "event pattern"


def _place_label(stack: StackTemplate) -> str:
    account = f"account {stack.account}" if stack.account else "any account"
    return f"{account}, {stack.region or 'any region'}"


def _with_placeholders(value: Any) -> str | None:
    """A string value with each ``Ref``/``GetAtt`` replaced by a placeholder naming its logical id, or ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            parts = [_with_placeholders(p) for p in argument[1]]
            return None if any(p is None for p in parts) else str(argument[0]).join(p for p in parts if p is not None)
        if function == "Ref" and isinstance(argument, str):
            return _PLACEHOLDER.format(argument, "Ref")
        if function == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2:
            return _PLACEHOLDER.format(argument[0], argument[1])
    return None


__all__ = [
    "ALARM_TYPE",
    "ENDPOINT_TYPE",
    "NODE_TYPES",
    "VERB_ORDER",
    "Diagram",
    "Edge",
    "Group",
    "Node",
    "NodeKind",
    "action_verb",
    "build_diagram",
    "diagram_id",
]
