"""Console screens of functions: catalog, editor, settings builder, versions, deploy."""
