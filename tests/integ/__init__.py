"""Integration tests deployed to a real account (``make integ``), with snapshots checked offline in CI."""
