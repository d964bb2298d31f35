"""CI gate: pip-audit on the pinned runtime requirements (requirements.txt).

Fails (exit 1) on a known vulnerability, or when pip-audit could not audit
a dependency for any reason but an unreachable advisory service. When no
advisory service can be reached (an offline or registry-only network), it
prints a warning and passes: a network outage must not fail CI, and the
warning says that nothing was checked.

Services are tried in order: OSV (api.osv.dev, the fuller database), then
PyPI's JSON API (pypi.org/pypi/<name>/<version>/json). Unreachable means a
connection error (DNS, refused, timeout) or, for PyPI, an index that serves
no per-version JSON for any pin: pip-audit reports each as "Dependency not
found on PyPI" and, without --strict, exits 0 with "No known
vulnerabilities found" although it checked nothing. This script never
trusts that message on its own: every dependency must come back audited.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
SERVICES = ("osv", "pypi")
UNREACHABLE = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "Failed to resolve",
               "ConnectTimeout", "ReadTimeout", "Connection refused", "Temporary failure in name resolution",
               "Network is unreachable")
NOT_SERVED = "Dependency not found on PyPI"


def pip_audit(service):
    command = [sys.executable, "-m", "pip_audit", "--requirement", str(REQUIREMENTS), "--disable-pip", "--no-deps",
               "--vulnerability-service", service, "--format", "json", "--progress-spinner", "off",
               "--timeout", "20"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def classify(returncode, stdout, stderr):
    """("ok" | "vulnerable" | "unreachable" | "error", lines to print) for one pip-audit run."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        report = None
    if report is None:
        if any(marker in stderr for marker in UNREACHABLE):
            last = [line for line in stderr.strip().splitlines() if line.strip()][-1:]
            return "unreachable", last
        return "error", stderr.strip().splitlines()[-20:] or [f"pip-audit exited {returncode} with no report"]
    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    if vulnerable:
        return "vulnerable", [f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in "
                              f"{', '.join(vuln.get('fix_versions') or []) or 'no release yet'})"
                              for dep in vulnerable for vuln in dep["vulns"]]
    if skipped and len(skipped) == len(dependencies) and all(NOT_SERVED in dep["skip_reason"] for dep in skipped):
        return "unreachable", [f"the index serves no advisory data for any pin ({skipped[0]['skip_reason']})"]
    if skipped:
        return "error", [f"{dep['name']}: {dep['skip_reason']}" for dep in skipped]
    if returncode != 0:
        return "error", [f"pip-audit exited {returncode}"] + stderr.strip().splitlines()[-5:]
    return "ok", [f"{len(dependencies)} pinned dependencies audited, no known vulnerability"]


def main():
    print(f"pip-audit on {REQUIREMENTS.name} (no resolution: the pins as written)")
    unreachable = []
    for service in SERVICES:
        result = pip_audit(service)
        verdict, lines = classify(result.returncode, result.stdout, result.stderr)
        if verdict == "unreachable":
            unreachable.append(f"{service}: {lines[0] if lines else 'unreachable'}")
            continue
        for line in lines:
            print(f"  {line}")
        if verdict == "ok":
            print(f"pip-audit ({service}): OK")
            return 0
        print(f"pip-audit ({service}): FAILED ({verdict})")
        return 1
    print("WARNING: pip-audit could not reach any vulnerability service; the requirements were NOT audited.")
    for line in unreachable:
        print(f"  {line}")
    print("  Run `make audit` where api.osv.dev or pypi.org's JSON API answers.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
