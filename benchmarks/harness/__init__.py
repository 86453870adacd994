"""carecircle benchmark harness (issue #6): peers, correctness gate, timing, RESULTS.md."""
