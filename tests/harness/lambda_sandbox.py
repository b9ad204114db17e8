"""One Lambda execution environment of a synthesized function, run as a process on this machine.

The process is what Lambda's Python runtime starts: the AWS Lambda runtime interface client
(``awslambdaric``, the client inside Lambda's managed Python runtimes) loading the template's ``Handler``
from the function's asset directory, in an environment of the template's variables, Lambda's own and the
local endpoints (:mod:`tests.harness.lambda_env`), and talking to a :class:`RuntimeApiPeer`. When the
template sets ``AWS_LAMBDA_EXEC_WRAPPER``, the wrapper script from the asset runs first with the runtime
command as its arguments, as Lambda does. The one adaptation: Lambda's interpreter path
``/var/lang/bin/python3`` in the script is replaced by a shim that starts this machine's interpreter (in a
copy of the script outside the asset; the shipped script is not changed). See :func:`adapt_wrapper`.

Like Lambda, the sandbox runs one invocation at a time, keeps the process warm between them, gives each a
deadline of the function timeout (``context.get_remaining_time_in_millis()`` counts down to it), kills the
process when the deadline passes (outcome ``timeout``) and starts a new one for the next event.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.harness._servers import HarnessError
from tests.harness.assembly import FunctionSpec
from tests.harness.lambda_env import AwsEnvironment, check_loopback, lambda_variables
from tests.harness.layers import layer_directories, runtime_directory
from tests.harness.runtime_api import Invocation, RuntimeApiPeer

#: Lambda's interpreter in its Python runtimes (what an exec wrapper execs).
LAMBDA_PYTHON = "/var/lang/bin/python3"
#: Where Lambda mounts the function code.
LAMBDA_TASK_ROOT = "/var/task"
#: Seconds Lambda allows for a function's initialization.
INIT_TIMEOUT = 10.0
_WATCH_INTERVAL = 0.02


def runtime_command(spec: FunctionSpec) -> list[str]:
    """The managed runtime's command: the runtime interface client serving ``Handler``."""
    return [sys.executable, "-S", "-m", "awslambdaric", spec.handler]


def adapt_wrapper(spec: FunctionSpec, workdir: Path) -> Path:
    """A runnable copy of the function's exec wrapper, with Lambda's interpreter path pointed at this machine's.

    The wrapper must be in the asset (``AWS_LAMBDA_EXEC_WRAPPER`` under ``/var/task``) and must name
    :data:`LAMBDA_PYTHON`; the copy replaces that path with a shim running ``sys.executable -S``.

    Raises:
        HarnessError: the wrapper is not in the asset, or no longer names Lambda's interpreter.
    """
    wrapper = spec.exec_wrapper
    assert wrapper is not None
    if not wrapper.startswith(LAMBDA_TASK_ROOT + "/"):
        raise HarnessError(f"AWS_LAMBDA_EXEC_WRAPPER {wrapper} is not in the function's code ({LAMBDA_TASK_ROOT})")
    shipped = spec.asset_dir / wrapper.removeprefix(LAMBDA_TASK_ROOT + "/")
    if not shipped.is_file():
        raise HarnessError(f"AWS_LAMBDA_EXEC_WRAPPER {wrapper} is not packaged: {spec.files()}")
    text = shipped.read_text()
    if LAMBDA_PYTHON not in text:
        raise HarnessError(f"{shipped.name} no longer runs {LAMBDA_PYTHON}; update the harness substitution")
    shim = workdir / "python3"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    adapted = workdir / shipped.name
    adapted.write_text(text.replace(LAMBDA_PYTHON, str(shim)))
    for path in (shim, adapted):
        path.chmod(0o755)
    return adapted


class LambdaSandbox:
    """A warm execution environment of one function.

    Args:
        spec: the function, from :meth:`tests.harness.assembly.SynthesizedStack.function`.
        variables: the function's environment variables, resolved (the template's, plus any overrides).
        aws: account, region and local endpoints.
        function_name: the function's name (``AWS_LAMBDA_FUNCTION_NAME``).
        timeout_seconds: the deadline of each invocation. Default: the template's ``Timeout``.
        max_response_bytes: passed to the :class:`RuntimeApiPeer`. Default: no limit.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        variables: Mapping[str, str],
        aws: AwsEnvironment,
        function_name: str,
        timeout_seconds: float | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.spec = spec
        self.function_name = function_name
        self.timeout_seconds = float(timeout_seconds if timeout_seconds is not None else spec.timeout_seconds)
        check_loopback({**variables, **aws.variables()})  # refused before anything is started
        self._workdir = Path(tempfile.mkdtemp(prefix=f"sandbox-{spec.logical_id}-"))
        self.command = runtime_command(spec)
        try:
            #: The function's import path: its asset, its layers, the runtime's libraries (as in Lambda).
            self.import_path = [spec.asset_dir, *layer_directories(spec.layers, self._workdir),
                                runtime_directory(self._workdir)]
            if spec.exec_wrapper:
                self.command = ["/bin/sh", str(adapt_wrapper(spec, self._workdir)), *self.command]
        except HarnessError:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise
        self.peer = RuntimeApiPeer(
            function_arn=f"arn:aws:lambda:{aws.region}:{aws.account}:function:{function_name}",
            max_response_bytes=max_response_bytes,
        ).start()
        self.environment = {
            **variables, **aws.variables(),
            **lambda_variables(spec, function_name=function_name, runtime_api=self.peer.address,
                               import_path=self.import_path),
        }
        self._log_path = self._workdir / "output.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        #: How many processes were started (cold starts).
        self.cold_starts = 0
        self._watcher = threading.Thread(target=self._watch, name=f"sandbox-{spec.logical_id}", daemon=True)
        self._watcher.start()

    # -- invoking ----------------------------------------------------------------------------------------

    def submit(self, event: Any, *, trace_id: str | None = None) -> Invocation:
        """Queue an event (a process is started if none runs) and return at once."""
        if self._closed.is_set():
            raise HarnessError(f"sandbox of {self.spec.logical_id} is stopped")
        invocation = self.peer.submit(event, self.timeout_seconds, trace_id=trace_id)
        with self._lock:
            if self._process is None:
                self._start_process()
        return invocation

    def invoke(self, event: Any, *, wait: float | None = None) -> Invocation:
        """Run one event to its outcome (waiting at most the deadline plus init time, or ``wait`` seconds)."""
        invocation = self.submit(event)
        return invocation.wait(wait if wait is not None else self.timeout_seconds + INIT_TIMEOUT + 5)

    def logs(self) -> str:
        """What the function's processes wrote to stdout and stderr."""
        return self._log_path.read_text(errors="replace") if self._log_path.exists() else ""

    # -- life cycle --------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Kill the process, stop the runtime API peer, remove the working directory."""
        self._closed.set()
        self._watcher.join(5)
        with self._lock:
            self._kill()
        self.peer.stop()
        for invocation in self.peer.pending():
            invocation.finish("crashed", error={"errorType": "Sandbox.Stopped"})
        shutil.rmtree(self._workdir, ignore_errors=True)

    def _start_process(self) -> None:
        self.peer.initialized.clear()
        self.peer.init_error = None
        self.peer.current = None
        self.cold_starts += 1
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command, cwd=self.spec.asset_dir, env=self.environment, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._started_at = time.monotonic()

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def _watch(self) -> None:
        """Enforce deadlines and init time, and notice a process that exited."""
        while not self._closed.wait(_WATCH_INTERVAL):
            with self._lock:
                process = self._process
                if process is None:
                    continue
                current = self.peer.current
                if process.poll() is not None:
                    self._exited(current)
                elif current is not None and not current.done and current.deadline is not None \
                        and time.monotonic() > current.deadline:
                    current.finish("timeout", error={
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"Task timed out after {self.timeout_seconds:.2f} seconds"})
                    self._kill()
                    self._restart_if_pending()
                elif not self.peer.initialized.is_set() and time.monotonic() - self._started_at > INIT_TIMEOUT:
                    self._kill()
                    self._fail_pending({"errorType": "Sandbox.Timedout", "errorMessage": "init timed out"})

    def _exited(self, current: Invocation | None) -> None:
        """The runtime process ended on its own: an init failure, or a crash during an invocation."""
        self._process = None
        if not self.peer.initialized.is_set() or self.peer.init_error is not None:
            self._fail_pending(self.peer.init_error or {"errorType": "Runtime.ExitError",
                                                        "errorMessage": "the runtime exited during init"})
            return
        if current is not None and not current.done:
            current.finish("crashed", error={"errorType": "Runtime.ExitError",
                                             "errorMessage": "the runtime exited during the invocation"})
        self._restart_if_pending()

    def _fail_pending(self, error: Mapping[str, Any]) -> None:
        for invocation in self.peer.pending():
            invocation.finish("error", error=error)

    def _restart_if_pending(self) -> None:
        if self.peer.pending() and not self._closed.is_set():
            self._start_process()
