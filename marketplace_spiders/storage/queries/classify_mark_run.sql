-- Mark a run classified (bound: run_id, classifier_version, text_versions classified); classified_at is now.
INSERT OR REPLACE INTO classified_runs VALUES (?, (now() AT TIME ZONE 'UTC')::TIMESTAMP, ?, ?)
