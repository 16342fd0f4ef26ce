-- One chunk of the staged classifier input (classify_stage_input.sql), bound: first and last row number.
SELECT * EXCLUDE (rn) FROM classify_run_input WHERE rn BETWEEN ? AND ? ORDER BY rn
