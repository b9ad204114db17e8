"""Agents working together: Lambda tools and Step Functions pipelines."""
