"""The protocol client (tests/e2e/protocol.py) and the protocol load test against a real server on loopback.

No browser: these start `streamlit run` and speak Streamlit's websocket protocol to it. One test drives the
app itself (every interaction ends in a script_finished message); the others drive a throwaway app written
into tmp_path whose page shows an exception or raises, which must be counted as an error.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from e2e.harness import Server
from e2e.protocol import ProtocolSession, run_sync

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

FAILING_APP = '''
import streamlit as st

what = st.selectbox("What happens", ["nothing", "st.exception", "raise"], key="what")
if what == "st.exception":
    st.exception(ValueError("shown on purpose"))
elif what == "raise":
    raise RuntimeError("raised on purpose")
st.write("the end of the page")
'''


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    with Server(log_path=tmp_path_factory.mktemp("server") / "server.log") as srv:
        yield srv
    assert "Traceback" not in srv.log_path.read_text(errors="replace"), srv.log_tail(60)


@pytest.fixture
def failing_app(tmp_path):
    (tmp_path / "app.py").write_text(FAILING_APP)
    return tmp_path


def test_every_interaction_ends_in_a_script_finished_message(app_server):
    async def visit():
        s = ProtocolSession(app_server.url)
        runs = [await s.open("cell")]
        assert {"seed", "hidden_size", "weight_scale", "step"} <= set(s.widgets), sorted(s.widgets)
        runs.append(await s.set("seed", 7))
        runs.append(await s.set("weight_scale", 1.3))
        runs.append(await s.set("step", 2))
        runs.append(await s.goto("gates"))
        assert s.page() == "gates" and "lines_units" in s.widgets and "train_go" not in s.widgets
        runs.append(await s.goto("train"))
        runs.append(await s.set("train_hidden", 8))
        await s.close()
        return s, runs

    s, runs = run_sync(visit())
    assert [r.status for r in runs] == [0] * len(runs)           # FINISHED_SUCCESSFULLY, one per interaction
    assert all(r.exceptions == [] for r in runs)
    assert all(0 < r.seconds < 30 for r in runs)
    assert "seed=7" in s.query and "weight_scale=1.3" in s.query   # bound widgets write the URL, as in a browser


def test_an_exception_on_the_page_is_seen_and_a_raise_is_too(failing_app):
    async def visit(url):
        s = ProtocolSession(url)
        fine = await s.open()
        shown = await s.set("what", "st.exception")
        raised = await s.set("what", "raise")
        await s.close()
        return fine, shown, raised

    with Server(root=failing_app, log_path=failing_app / "server.log") as srv:
        fine, shown, raised = run_sync(visit(srv.url))
    assert fine.exceptions == []
    assert shown.exceptions == ["ValueError: shown on purpose"]
    assert len(raised.exceptions) == 1 and "raised on purpose" in raised.exceptions[0]
    assert "Traceback" in (failing_app / "server.log").read_text()


def test_the_protocol_load_test_counts_exceptions_and_tracebacks_as_errors(failing_app):
    import load_protocol

    report = load_protocol.run(sessions=3, seconds=4, root=failing_app, log_path=failing_app / "server.log",
                               think=(0.2, 0.4), arrival=0.0)
    assert report["interactions"] >= 3, report
    shown = [e for e in report["errors"] if "exception shown" in e]
    assert shown, report["errors"]
    assert any("traceback" in e for e in report["errors"]), report["errors"]
    assert load_protocol.summary(report).startswith(f"sessions 3, interactions {report['interactions']}, "
                                                    f"errors {len(report['errors'])}, p50 ")
