"""The library's only CDK helpers: catalog and region per scope, the findings reporter, nag acknowledgments,
IAM action constants, the secure Lambda builder and shared buckets."""
