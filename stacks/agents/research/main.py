"""A minimal direct-code AgentCore agent (HTTP protocol contract: /invocations and /ping)."""

from bedrock_agentcore.runtime import BedrockAgentCoreApp

app = BedrockAgentCoreApp()


@app.entrypoint
def invoke(payload: dict) -> dict:
    """Echo the prompt; a real agent would call a model here."""
    return {"result": f"research agent received: {payload.get('prompt', '')}"}


if __name__ == "__main__":
    app.run()
