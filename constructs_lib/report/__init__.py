"""The operator's view of an app: the capacity report, the architecture diagram, and the docs generated from them.

``python -m constructs_lib report`` (:mod:`constructs_lib.report.cli`) reads any CDK app: a cloud assembly, a
``cdk.json`` project or a function building the app. Only the sources that build the app in process import the CDK.
"""
