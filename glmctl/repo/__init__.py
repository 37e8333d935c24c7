"""The GitOps repository: byte-preserving edits of its YAML files and atomic writes."""
