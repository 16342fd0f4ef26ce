"""The evidence archive: every response a crawl receives, kept as WARC 1.1 (ISO 28500), packaged as WACZ per run,
optionally signed with RFC 3161 timestamps, exportable per listing and verifiable by anyone.

- ``archive``: the writer every crawl uses (``RecordReplayMiddleware`` in ``marketplace_spiders.recording``);
- ``store``: where a run's WARC files are and how one record is read back (loose, or inside the run's WACZ);
- ``source``: an archive read as a replay source (``-s REPLAY_DIR=<run folder | .warc.gz | .wacz>``);
- ``package`` / ``timestamp`` / ``verify``: the per-run WACZ, its trusted timestamps, and their check;
- ``export`` / ``dossier``: one listing's evidence bundle for publication;
- ``disk``: sizes and retention.
"""
