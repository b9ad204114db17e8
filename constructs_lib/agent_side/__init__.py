"""Code that runs inside an agent (not in a Lambda function): the asynchronous job reporter."""
