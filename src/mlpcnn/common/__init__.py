"""Shared by both studies: atomic output, the device choice, figure finishing, params checks."""
