"""`glmctl --help` start-up time, against a bare interpreter measured in the same run.

Target (issue 2): median under 120 ms. Prints the median of several runs of each and the
ratio, so a slow machine shows as a slow baseline rather than a false regression.
"""

from __future__ import annotations

import sys

from _timing import glmctl_command, median_ms, time_command


def main() -> None:
    baseline = time_command([sys.executable, "-c", "pass"], runs=15)
    help_times = time_command(glmctl_command("--help"), runs=15)
    sub_help = time_command(glmctl_command("status", "--help"), runs=9)
    base_ms, help_ms, sub_ms = median_ms(baseline), median_ms(help_times), median_ms(sub_help)
    print(f"python -c pass          median {base_ms:7.1f} ms")
    print(f"glmctl --help           median {help_ms:7.1f} ms  ({help_ms / base_ms:.1f}x baseline)")
    print(f"glmctl status --help    median {sub_ms:7.1f} ms  ({sub_ms / base_ms:.1f}x baseline)")
    print(f"target: --help under 120 ms -> {'met' if help_ms < 120 else 'NOT met'}")


if __name__ == "__main__":
    main()
