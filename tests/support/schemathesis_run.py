"""Schemathesis (4.x) over every operation of a running API, as a function a test calls.

    findings = run_schemathesis("http://127.0.0.1:8000",
                                "http://127.0.0.1:8000/api/v1/openapi.json", token)
    assert findings == [], "\n".join(map(str, findings))

Each operation gets `max_examples` generated requests per generation mode (positive:
fits the document; negative: does not). Two checks run on each response: no 5xx
(`not_a_server_error`) and the body fits the documented schema of its status
(`response_schema_conformance`). Nothing stops at the first failure: every finding comes
back, at most one per operation, check and kind of failure.
"""
from __future__ import annotations

import dataclasses

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

CHECKS = (not_a_server_error, response_schema_conformance)
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    operation: str   # "GET /api/v1/residents/{resident_id}"
    check: str       # "not_a_server_error", "response_schema_conformance", or "error"
    detail: str      # what failed, then the request that showed it

    def __str__(self) -> str:
        return f"{self.operation} [{self.check}]\n{self.detail}"


def run_schemathesis(base_url: str, spec_url: str, token: str | None = None,
                     max_examples: int = 10, modes=MODES, seed: int | None = 0,
                     timeout: float = 30.0) -> list[Finding]:
    """Findings over every operation of the document at `spec_url`, sent to `base_url`
    with `Authorization: Bearer <token>` (when a token is given). A fixed `seed` makes a
    run repeatable; None draws new examples each time."""
    schema = schemathesis.openapi.from_url(spec_url, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    findings: dict[tuple, Finding] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            _record(findings, "(document)", "error", str(result.err()))
            continue
        operation = result.ok()
        for mode in modes:
            probe = _probe(operation, schemathesis.GenerationMode(mode), base_url, headers,
                           timeout, findings)
            run = hypothesis.settings(
                max_examples=max_examples, deadline=None, database=None,
                phases=[Phase.explicit, Phase.generate], print_blob=False,
                suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)(probe)
            if seed is not None:
                run = hypothesis.seed(seed)(run)
            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                if mode != schemathesis.GenerationMode.NEGATIVE:  # else: nothing to negate
                    _record(findings, operation.label, "error", "no request fits the document")
            except Exception as exc:  # the strategy itself failed: say so, go on
                _record(findings, operation.label, "error", f"{type(exc).__name__}: {exc}")
    return sorted(findings.values())


def _probe(operation, mode, base_url: str, headers: dict, timeout: float, findings: dict):
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def probe(case):
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=list(CHECKS),
                                   timeout=timeout)
        except FailureGroup as group:
            for failure in group.exceptions:
                _record_failure(findings, operation.label, failure, case, mode)
        except Failure as failure:
            _record_failure(findings, operation.label, failure, case, mode)
        except requests.RequestException as exc:
            _record(findings, operation.label, "error",
                    f"{type(exc).__name__}: {exc}\n{_request(case, mode)}")
    return probe


def _record_failure(findings: dict, label: str, failure: Failure, case, mode) -> None:
    check = failure.checks[0] if failure.checks else type(failure).__name__
    detail = f"{failure.title}: {failure.message}".rstrip(": ")
    _record(findings, label, check, f"{detail}\n{_request(case, mode)}", type(failure).__name__)


def _record(findings: dict, label: str, check: str, detail: str, kind: str = "") -> None:
    findings.setdefault((label, check, kind or detail), Finding(label, check, detail))


def _request(case, mode) -> str:
    parts = [f"{mode.value} example: {case.method.upper()} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}"[:500])
    if not isinstance(case.body, NotSet):
        parts.append(f"body={case.body!r}"[:500])
    return " ".join(parts)
