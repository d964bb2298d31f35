"""The pip-audit gate (scripts/audit_requirements.py): a finding fails, an unreachable service only warns."""
import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_requirements.py"
spec = importlib.util.spec_from_file_location("audit_requirements", SCRIPT)
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def report(*dependencies):
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails():
    verdict, lines = audit.classify(1, report(
        {"name": "django", "version": "5.2.1", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []}), "")
    assert (verdict, lines) == ("vulnerable", ["django 5.2.1: PYSEC-2025-1 (fixed in 5.2.2)"])


def test_all_audited_and_clean_passes():
    verdict, _lines = audit.classify(0, report({"name": "django", "version": "5.2.19", "vulns": []}), "")
    assert verdict == "ok"


def test_no_dns_is_unreachable_not_a_failure():
    stderr = ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries "
              "exceeded (Caused by NameResolutionError(...))")
    assert audit.classify(1, "", stderr)[0] == "unreachable"


def test_an_index_without_advisory_data_is_unreachable_although_pip_audit_says_no_vulnerabilities():
    skipped = [{"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)"}
               for name in ("django", "celery")]
    assert audit.classify(0, report(*skipped), "No known vulnerabilities found")[0] == "unreachable"


def test_a_partly_skipped_audit_fails():
    verdict, lines = audit.classify(0, report(
        {"name": "django", "version": "5.2.19", "vulns": []},
        {"name": "private-lib", "skip_reason": "Dependency not found on PyPI and could not be audited: private-lib"}),
        "")
    assert verdict == "error" and lines == [
        "private-lib: Dependency not found on PyPI and could not be audited: private-lib"]


def test_any_other_crash_fails():
    assert audit.classify(2, "", "Traceback ...\nValueError: bad requirement")[0] == "error"
