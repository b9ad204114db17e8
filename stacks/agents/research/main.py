"""A minimal direct-code AgentCore agent that follows the asynchronous job contract.

Invoked with ``{"prompt": ..., "jobId": ...}`` through the job API, it acknowledges at once, works in a
background task (the runtime's ``/ping`` reports HealthyBusy while the task runs, keeping the session
alive up to its max lifetime), and reports the result with ``job_reporter``. Invoked without a job id
(a pipeline step or a direct call), it answers inline.
"""

from __future__ import annotations

import threading

from bedrock_agentcore.runtime import BedrockAgentCoreApp
from job_reporter import report_failure, report_success

app = BedrockAgentCoreApp()


def research(prompt: str) -> str:
    """The agent's work; a real agent would call a model and tools here."""
    return f"research agent received: {prompt}"


def run_job(job_id: str, prompt: str, task_id: int) -> None:
    """Do the work, report it, and tell the runtime the session is idle again."""
    try:
        report_success(job_id, result=research(prompt))
    except Exception:  # noqa: BLE001 - any failure is reported to the client without its internals
        report_failure(job_id, "the research task failed")
    finally:
        app.complete_async_task(task_id)


@app.entrypoint
def invoke(payload: dict) -> dict:
    """Answer inline, or accept a job and finish it in the background."""
    prompt = str(payload.get("prompt", ""))
    job_id = payload.get("jobId")
    if not job_id:
        return {"result": research(prompt)}
    task_id = app.add_async_task("research", {"jobId": job_id})
    threading.Thread(target=run_job, args=(job_id, prompt, task_id), daemon=True).start()
    return {"accepted": True, "jobId": job_id}


if __name__ == "__main__":
    app.run()
