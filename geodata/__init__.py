"""Storage, schema, loaders and the demo town: the only package that talks to storage."""
