"""Lambda code of the integ apps' test clients (each packaged on its own)."""
