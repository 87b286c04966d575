"""The graph store: one narrow protocol, an adapter per backend, the schema and parameter encoding."""
