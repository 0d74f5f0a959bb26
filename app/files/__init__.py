"""Uploaded files (case photos, evidence): type checks, metadata stripping, storage."""
