"""Public API for functions, versions, deploy, insert function instances and test runs."""
