"""The environment variables an adopted agent adds to a runtime of this app, merged into its L1 at synth."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_bedrockagentcore as agentcore

from constructs_lib.errors import raise_all
from constructs_lib.limits.catalog import QuotaCatalog
from constructs_lib.limits.validation import environment_problems


@jsii.implements(cdk.IAnyProducer)
class _Merged:
    """Produces the runtime's own variables (as its L2 renders them) with the added ones on top."""

    def __init__(self, own: Any, added: dict[str, str]) -> None:
        self._own = own
        self._added = added

    def produce(self, context: cdk.IResolveContext) -> Any:
        """The merged variables, or nothing when there are none (as the L2 renders an empty environment)."""
        own = context.resolve(self._own) or {}
        merged = {**own, **self._added}
        return merged or None


class AdoptedEnvironment:
    """Adds environment variables to the L1 ``CfnRuntime`` of an L2 ``Runtime`` this app defines.

    The L2 renders its ``environment_variables`` lazily and has no way to add one later, so the L1 property is
    replaced, on the first addition, by a value that resolves to the L2's variables with the added ones on top: the
    L1 attribute (not ``add_property_override``), so the AgentCoreChecks rules see every variable.

    Args:
        cfn_runtime: the runtime's L1.
        catalog: the quotas the variables are checked against.
        path: the construct path errors name.
    """

    def __init__(self, cfn_runtime: agentcore.CfnRuntime, catalog: QuotaCatalog, path: str) -> None:
        self._cfn_runtime = cfn_runtime
        self._catalog = catalog
        self._path = path
        self._own: Any = cfn_runtime.environment_variables
        self._added: dict[str, str] = {}

    def add(self, key: str, value: str) -> None:
        """Add ``key`` (checked with the runtime's own variables against the environment quotas)."""
        candidate = {**self._own_for_checks(), **self._added, key: value}
        raise_all("InvalidEnvironment", environment_problems(candidate, self._catalog), self._path)
        if not self._added:
            self._cfn_runtime.environment_variables = cdk.Lazy.uncached_any(_Merged(self._own, self._added))
        self._added[key] = value

    def _own_for_checks(self) -> dict[str, str]:
        """The runtime's own variables, values the template computes standing as tokens (not checked)."""
        own = cdk.Stack.of(self._cfn_runtime).resolve(self._own) or {}
        return {key: value if isinstance(value, str) else cdk.Token.as_string(value) for key, value in own.items()}


__all__ = ["AdoptedEnvironment"]
