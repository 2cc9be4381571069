"""Backup and restore of the whole platform database, portable between SQLite and PostgreSQL (SEC-6).

SC42, HN27, AB37, WZ42 ask for backup and recovery mechanisms and drills; a deployment also moves from the embedded
SQLite default to PostgreSQL this way. `archive` writes and reads the file, `codec` the canonical row text.
"""
