"""Offline analysis of the GitOps repository: reads it the way Flux does, reports findings."""
