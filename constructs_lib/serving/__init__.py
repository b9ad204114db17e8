"""Front doors and state around an agent: REST and WebSocket facades, jobs, payload staging, session store."""
