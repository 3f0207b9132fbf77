"""Scheduled runs: job files, the run lock, alerts, and the collect -> analyze -> report pipeline."""
