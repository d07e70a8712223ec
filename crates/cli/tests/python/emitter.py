"""Drives the Python spec-kitty-cli 2.1.0 event emitter for the cross-CLI tests.

`emit`: in the current HOME and project, emits one event of every type the emitter knows
through its own public builders (and the dossier module's), and prints the envelopes it
queued as one JSON list on stdout.

`validate`: reads a JSON list of envelopes on stdin and prints, for each, whether the
emitter's own `_validate_event` accepts it (a JSON list of booleans).

Run with the venv's python; nothing here is copied from the CLI, it only calls it.
"""

import contextlib
import io
import json
import sys

from specify_cli.sync.emitter import EventEmitter

SHA_A = "a" * 64
SHA_B = "b" * 64


def emit() -> list:
    e = EventEmitter()
    got = [
        e.emit_feature_created("048-history-import", "048", "main", 2, created_at="2026-02-12T10:00:00+00:00"),
        e.emit_wp_created("WP01", "Import the lane log", "048-history-import", dependencies=["WP02"]),
        e.emit_wp_assigned("WP01", "claude", "implementation", retry_count=1),
        e.emit_wp_status_changed("WP01", "planned", "claimed", actor="claude", feature_slug="048-history-import",
                                 policy_metadata={"mode": "strict"}),
        e.emit_wp_status_changed("WP01", "for_review", "approved", actor="reviewer", feature_slug="048-history-import"),
        e.emit_wp_status_changed("WP01", "approved", "done", actor="reviewer"),
        e.emit_history_added("WP01", "review", "looks good", author="reviewer"),
        e.emit_error_logged("network", "timed out", wp_id="WP01", stack_trace=None, agent_id="claude"),
        e.emit_error_logged("runtime", "no wp"),
        e.emit_dependency_resolved("WP01", "WP02", "completed"),
        e.emit_feature_completed("048-history-import", 2, completed_at="2026-02-13T10:00:00+00:00", total_duration="1d"),
    ]
    from specify_cli.dossier import events as dossier

    got += [
        dossier.emit_artifact_indexed("048-history-import", "spec", "input", "spec.md", SHA_A, 120,
                                      wp_id="WP01", required_status="required"),
        dossier.emit_artifact_missing("048-history-import", "plan", "workflow", "plan.md", "not_found", blocking=True),
    ]
    got.append(
        dossier.emit_snapshot_computed("048-history-import", SHA_A, 2, 1, 1, 0, 1, 0, "incomplete", "snap-1")
    )
    got.append(
        dossier.emit_parity_drift_detected("048-history-import", SHA_A, SHA_B, missing_in_local=["plan"],
                                           missing_in_baseline=[], severity="warning")
    )
    return got


def validate(envelopes: list) -> list:
    e = EventEmitter()
    out = []
    for env in envelopes:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            out.append(bool(e._validate_event(dict(env))))
    return out


if __name__ == "__main__":
    if sys.argv[1] == "emit":
        with contextlib.redirect_stdout(sys.stderr):
            events = emit()
        print(json.dumps(events))
    else:
        print(json.dumps(validate(json.load(sys.stdin))))
