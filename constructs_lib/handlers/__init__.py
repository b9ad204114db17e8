"""Lambda handlers: plain boto3 modules, no CDK imports, each packaged on its own as a function asset."""
