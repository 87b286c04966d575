"""Reading, validating and loading record bundles (shared/spec/record-bundle.md)."""
