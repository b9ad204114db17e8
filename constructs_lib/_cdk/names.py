"""Stage-safe physical names, and the app-wide check that no two resources claim the same one.

Every physical name the library sets by default is derived from the name of the top-level stack and the construct
path inside it, so the same stack class deployed twice in one account and region (``MyStack-dev``,
``MyStack-staging``) gets different names. A name that would pass a service's length rule is shortened with a stable
hash of the full identity. A name the user sets always wins.

Names the user sets can still collide, across stacks or apps deployed to one account and region; CloudFormation
checks one template only. :func:`watch_unique_names` adds one validation per app that reports two resources of a
uniquely named type (:data:`constructs_lib.limits.names.UNIQUE_NAME_RULES`) with the same explicit name in the same
place as an error naming both construct paths. A name that is an unresolved token, and a stack whose account or region
is unresolved, are skipped: tokens are never guessed.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import region_info
from constructs import Construct, IConstruct, IValidation

from constructs_lib._cdk.scope import path_of
from constructs_lib._cdk.tokens import is_unresolved
from constructs_lib.limits.catalog import QuotaCatalog, QuotaName
from constructs_lib.limits.names import (
    ALARM_NAME_CHARACTERS,
    API_NAME_CHARACTERS,
    SHARED_NAMESPACE,
    UNIQUE_NAME_RULES_BY_TYPE,
    NameRule,
    NameScope,
)
from constructs_lib.limits.service import NAME_MAX_LENGTH

#: Length of the hash that keeps a shortened name unique (the same length CDK's own unique names use).
HASH_LENGTH = 8
#: Path parts CDK leaves out of generated names (the primary child and the default child).
_HIDDEN_IDS = frozenset({"Resource", "Default"})
#: The share of an alarm name a derived prefix may take: the rest is the resource, the metric and the level.
_ALARM_PREFIX_SHARE = 4


def _identity(scope: IConstruct) -> list[str]:
    """The name of the innermost top-level stack with a concrete name, then the construct ids below it.

    The stack name is unique per account and region, and the path is unique within the stack, so together they are
    unique where the resource is deployed (a nested stack's name is a token: its parent's name is used).
    """
    known = _IDENTITIES.get(scope)
    if known is not None:
        return list(known)
    scopes = scope.node.scopes
    # The ids are the parts of the path (ids hold no '/'; only the root may have an empty id, left out of the path).
    parts = path_of(scope).split("/") if len(scopes) > 1 or path_of(scope) else []
    ids = parts if len(parts) == len(scopes) else ["", *parts]
    for index in range(len(scopes) - 1, -1, -1):
        candidate = scopes[index]
        if isinstance(candidate, cdk.Stack):
            stack_name = _stack_name(candidate)
            if not is_unresolved(stack_name):
                identity = [stack_name, *ids[index + 1:]]
                break
    else:
        identity = [i for i in ids if i]
    _IDENTITIES[scope] = tuple(identity)
    return identity


#: The identity of each construct asked for (a construct never moves).
_IDENTITIES: weakref.WeakKeyDictionary[IConstruct, tuple[str, ...]] = weakref.WeakKeyDictionary()


_STACK_NAMES: weakref.WeakKeyDictionary[cdk.Stack, str] = weakref.WeakKeyDictionary()


def _stack_name(stack: cdk.Stack) -> str:
    name = _STACK_NAMES.get(stack)
    if name is None:
        name = _STACK_NAMES[stack] = stack.stack_name
    return name


def stable_hash(parts: list[str]) -> str:
    """An 8-character hash of a construct identity, stable across synths and machines."""
    return hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()[:HASH_LENGTH].upper()


def derived_name(scope: IConstruct, *, max_length: int, allowed: frozenset[str], separator: str) -> str:
    """A readable name from the stack name and the construct path: ``MyStack-dev-Platform-Monitoring``.

    Characters outside ``allowed`` are dropped; ``Resource`` and ``Default`` path parts are left out, as CDK does.
    A name longer than ``max_length`` keeps its start and end around a stable hash of the full identity.
    """
    identity = _identity(scope)
    return _shorten(identity, identity, max_length=max_length, allowed=allowed, separator=separator)


def path_name(scope: IConstruct, *, max_length: int, allowed: frozenset[str], separator: str) -> str:
    """A readable name from the construct path inside the stack (``Platform-support-Api``), unique in the stack.

    For parts of a name whose other parts already name the stack (the resource part of an alarm name). Shortened
    like :func:`derived_name`, with the hash of the full identity.
    """
    identity = _identity(scope)
    return _shorten(identity[1:] or identity, identity, max_length=max_length, allowed=allowed, separator=separator)


def _shorten(
    parts: list[str], identity: list[str], *, max_length: int, allowed: frozenset[str], separator: str
) -> str:
    pattern = re.compile("[^" + re.escape("".join(sorted(allowed))) + "]")
    readable = [pattern.sub("", p) for p in parts if p not in _HIDDEN_IDS]
    name = separator.join(p for p in readable if p)
    if len(name) <= max_length:
        return name
    digest = stable_hash(identity)
    room = max_length - len(digest) - len(separator)
    tail = room // 2
    return f"{name[:room - tail]}{name[len(name) - tail:] if tail else ''}{separator}{digest}"


def default_alarm_name_prefix(scope: IConstruct, catalog: QuotaCatalog) -> str:
    """The alarm name prefix of a monitoring construct: its stack name and path, within a quarter of an alarm name.

    The rest of the alarm name (resource, metric and level) keeps three quarters of CloudWatch's alarm name length.
    """
    limit = int(catalog.value(QuotaName.CLOUDWATCH_ALARM_NAME_LENGTH))
    return derived_name(scope, max_length=limit // _ALARM_PREFIX_SHARE, allowed=ALARM_NAME_CHARACTERS, separator="-")


def api_name(scope: IConstruct, catalog: QuotaCatalog) -> str:
    """The default name of a REST or WebSocket API: its stack name and path, within API Gateway's name length.

    Unique per account and region, so the ``ApiName`` dimension of API Gateway's metrics tells two facades apart.
    """
    limit = int(catalog.value(QuotaName.API_GATEWAY_API_NAME_LENGTH))
    return derived_name(scope, max_length=limit, allowed=API_NAME_CHARACTERS, separator="-")


def alarm_name_part(scope: IConstruct, catalog: QuotaCatalog) -> str:
    """The resource part of an alarm name for ``scope``: its path in the stack, within a quarter of an alarm name."""
    limit = int(catalog.value(QuotaName.CLOUDWATCH_ALARM_NAME_LENGTH))
    return path_name(scope, max_length=limit // _ALARM_PREFIX_SHARE, allowed=ALARM_NAME_CHARACTERS, separator="-")


def runtime_name(scope: Construct, explicit: str | None = None, *, suffix: str = "") -> str:
    """The runtime name of an agent: ``explicit`` when given, else a stage-safe name from the stack and path.

    The default is CDK's unique resource name of the agent (``MyStackdev_Support_1A2B3C4D``: the top-level stack's
    name, the path, a hash; letters, digits and ``_`` only), then ``suffix`` (the agent's compute kind, for
    example), within the runtime name length. It also registers the app-wide name check, so an explicit name that
    another stack of the app uses in the same place is an error.
    """
    watch_unique_names(scope)
    if explicit is not None:
        return explicit
    return cdk.Names.unique_resource_name(scope, max_length=NAME_MAX_LENGTH - len(suffix), separator="_") + suffix


# -- the app-wide check ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateName:
    """Two resources that claim one physical name in one place.

    Attributes:
        rule: the naming rule of their type.
        name: the name.
        place: where it must be unique, in words (``account 123456789012, region us-east-1``).
        first: the resource that claimed it first (in construct tree order).
        second: the resource that claims it again.
    """

    rule: NameRule
    name: str
    place: str
    first: cdk.CfnResource
    second: cdk.CfnResource

    def message(self) -> str:
        """The error, naming both construct paths and the way out."""
        return (
            f"[DuplicatePhysicalName] {self.rule.label} name {self.name!r} ({self.rule.name_property}) is set by both "
            f"{path_of(self.first)} and {path_of(self.second)} in {self.place}: AWS requires it to be unique there, "
            "so the second deployment fails; leave the name unset to get a name derived from the stack and path, or "
            "make the names differ per stack"
        )


def explicit_name(resource: cdk.CfnResource, rule: NameRule) -> str | None:
    """The concrete physical name ``resource`` sets, ``None`` when it sets none or the name is a token."""
    attribute = re.sub(r"(?<!^)(?=[A-Z])", "_", rule.name_property).lower()
    value: Any
    if hasattr(type(resource), attribute):
        value = getattr(resource, attribute)  # a typed L1 (CfnRuntime.agent_runtime_name)
    else:
        # A generic CfnResource: its properties as given, in CloudFormation's spelling.
        properties = resource._cfn_properties
        value = properties.get(rule.name_property) if isinstance(properties, dict) else None
    if not isinstance(value, str) or is_unresolved(value):
        return None
    return value


def _place(resource: cdk.CfnResource, scope: NameScope) -> tuple[str, str] | None:
    """Where ``resource``'s name must be unique: a key and its words, ``None`` when a token hides it."""
    stack = cdk.Stack.of(resource)
    account, region = stack.account, stack.region
    if scope is NameScope.PARTITION:
        if is_unresolved(region):
            return None
        partition = region_info.RegionInfo.get(region).partition or "aws"
        return f"partition:{partition}", f"partition {partition}"
    if is_unresolved(account):
        return None
    if scope is NameScope.ACCOUNT:
        return f"account:{account}", f"account {account}"
    if is_unresolved(region):
        return None
    return f"region:{account}:{region}", f"account {account}, region {region}"


NameKey = tuple[str, str, str]
"""A name's identity: the namespace (resource type), the place key and the name."""


def name_key(resource: cdk.CfnResource) -> tuple[NameKey, NameRule, str, str] | None:
    """The identity of ``resource``'s explicit name (with its rule, name and place in words), or ``None``.

    ``None`` for types AWS lets repeat names of, for a resource without a concrete name, and where the place is a
    token (an environment-agnostic stack).
    """
    cfn_type = str(resource.cfn_resource_type)
    rule = UNIQUE_NAME_RULES_BY_TYPE.get(cfn_type)
    if rule is None:
        return None
    name = explicit_name(resource, rule)
    if name is None:
        return None
    place = _place(resource, rule.scope)
    if place is None:
        return None
    return (SHARED_NAMESPACE.get(cfn_type, cfn_type), place[0], name), rule, name, place[1]


def _named_resources(root: IConstruct) -> Iterator[cdk.CfnResource]:
    for construct in root.node.find_all():
        if isinstance(construct, cdk.CfnResource):
            yield construct


def first_claims(root: IConstruct) -> dict[NameKey, cdk.CfnResource]:
    """The first resource (in construct tree order) to claim each explicit name in the app."""
    claims: dict[NameKey, cdk.CfnResource] = {}
    for resource in _named_resources(root):
        key = name_key(resource)
        if key is not None:
            claims.setdefault(key[0], resource)
    return claims


def duplicate_names(root: IConstruct) -> list[DuplicateName]:
    """Every resource of the app that claims a name an earlier resource claimed in the same place."""
    claims: dict[NameKey, cdk.CfnResource] = {}
    duplicates: list[DuplicateName] = []
    for resource in _named_resources(root):
        key = name_key(resource)
        if key is None:
            continue
        identity, rule, name, place = key
        first = claims.setdefault(identity, resource)
        if first is not resource:
            duplicates.append(DuplicateName(rule, name, place, first, resource))
    return duplicates


@jsii.implements(IValidation)
class _UniqueNames:
    """The app-wide validation: one error per resource that claims a name already claimed in its place."""

    def __init__(self, root: IConstruct) -> None:
        self._root = root

    def validate(self) -> list[str]:
        return [duplicate.message() for duplicate in duplicate_names(self._root)]


#: The apps (construct tree roots) that carry the check already.
_WATCHED: weakref.WeakSet[IConstruct] = weakref.WeakSet()


def watch_unique_names(scope: IConstruct) -> None:
    """Add the app-wide name check to the root of ``scope``'s construct tree, once per app."""
    root = scope.node.root
    if root in _WATCHED:
        return
    _WATCHED.add(root)
    root.node.add_validation(_UniqueNames(root))


__all__ = [
    "DuplicateName",
    "alarm_name_part",
    "default_alarm_name_prefix",
    "derived_name",
    "duplicate_names",
    "explicit_name",
    "path_name",
    "first_claims",
    "name_key",
    "runtime_name",
    "stable_hash",
    "watch_unique_names",
]
