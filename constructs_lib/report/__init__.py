"""The capacity report of an app's agents and the documentation generated from the catalog."""
