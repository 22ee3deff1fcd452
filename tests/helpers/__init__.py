"""Helpers shared by tests; no test module imports another. The shared fixtures (the Messages API
stand-in: ``stand_in`` and ``api``; ``memory_keyring``) are in tests/conftest.py.

- plans: plan files and in-memory plans; the invariants of any parsed plan.
- card_files: card bodies, front matter, card files, and what a plan's card folder holds.
- jobs: card requests and runner jobs for the engine.
- hostile: the hostile-card catalog and a plan of stored hostile cards.
- cli: the command line in-process or as a process; the example plan; folder digests.
- server_thread: the stand-in on a thread of its own, its canary key, the requests it received.
- waits: waiting on a condition, with a hang guard.
- keyrings: an in-memory keyring and a way to use a backend for a while.
- import_watch: the command line as a process that lists the modules it has imported, on a signal.
"""
