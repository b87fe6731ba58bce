"""Analyses shared by several step types (name resolution, config lookup). Pure functions."""
