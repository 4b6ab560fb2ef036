"""Matching and machine help: reconciliation, the name index, suggestions, leads and links out of the map."""
