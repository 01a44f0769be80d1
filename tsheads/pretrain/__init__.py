"""Pretraining the dual-space encoder: corpus (synthetic + real), loop, and the command line."""
