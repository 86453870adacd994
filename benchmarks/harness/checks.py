"""Pass/fail lines for the harness's own checks (benchmarks/check_gate.py, tests/bench/test_*.py)."""

failures = []


def check(cond, what):
    """Prints `ok   what` or `FAIL what`; a failure is remembered for summary()."""
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


def summary():
    """Prints how many checks failed; returns the exit status (1 when any did)."""
    print(f'{len(failures)} failed')
    return 1 if failures else 0
