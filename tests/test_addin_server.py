"""The add-in in a real xlwings Server, called over HTTP as Excel's Office.js client calls it.

The server is the installed ``xlwings-server`` package, started with uvicorn on 127.0.0.1
(a free port) once per environment setting ("dev" and "prod", both started at once), in a
project made by the same script the installation guide tells users to run
(``python -m addin server-setup DIR``), so the guide and this test cannot drift. Each
server is stopped by its PID when the module's tests are done.

Calls mirror ``custom-functions-code.js`` of the package (``base()`` builds the body,
``makeServerCall()`` posts it with the ``Authorization``/``Auth-Provider`` headers of
``auth.js`` and retries the status codes the server's ``customFunctionsRetryCodes`` lists);
the test checks the body keys against the JavaScript the server serves, and reads the retry
settings from the task pane's configuration, as the client does.

A real xlwings Lite (Pyodide in Excel) cannot run here: numpy and scipy for Pyodide come
only from its CDN. Lite runs the same dispatcher (``xlwings.server.custom_functions_call``)
that tests/excel_dispatch.py calls in-process and shows ``str(exception)`` of any error
(``wasm_runtime.custom_functions_call``), which the dispatcher tests cover.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from excel_dispatch import BLANK, block, call, column, payload, udf_module

from addin import _cells
from addin.server import server_command
from simulator import roq, survey
from simulator.errors import RoqInputError
from simulator.survey.casestudy import claims_servqual_means

try:  # the classes of bad input of the dispatcher fuzz test (tests/bad_inputs.py)
    import bad_inputs
except ImportError:  # pragma: no cover - before that module exists
    bad_inputs = None

# one worker runs this module under pytest -n: the servers start once (pyproject: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("xlwings-server")

ROOT = Path(__file__).resolve().parent.parent
NAMES = udf_module.FUNCTION_NAMES
ENVIRONMENTS = ("dev", "prod")
START_TIMEOUT = 150  # seconds; a cold start imports numpy, scipy, pandas and the add-in
CALL_TIMEOUT = 60
CASE = claims_servqual_means()
DIV0 = {"type": "Error", "basicType": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}
NA = {"type": "Error", "basicType": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
#: A test-only function in the server project: fails with an unexpected (non-input) error.
UNEXPECTED_SOURCE = '''\
import xlwings as xw

from addin._cells import arg, excel_function, number


@xw.func
@arg("value", number, "Any number.")
@excel_function
def ROQ_TEST_UNEXPECTED(value):
    """Always fails with ZeroDivisionError (checks how unexpected failures reach the cell)."""
    return value / 0
'''


@dataclass
class Server:
    environment: str
    url: str
    process: subprocess.Popen
    log: Path
    config: dict | None = None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Outcome:
    status: int
    value: object  # the result (2-D list) or the message the cell shows on hover
    attempts: int


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, timeout: float = CALL_TIMEOUT) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _launch(project: Path, environment: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    argv, variables = server_command(project, host="127.0.0.1", port=port, environment=environment)
    env = dict(os.environ)
    env.pop("ROQ_ADDIN_RUNTIME", None)
    env.update(variables)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["XLWINGS_LICENSE_KEY"] = "noncommercial"  # xlwings Server's non-commercial licence
    env["PYTHONUNBUFFERED"] = "1"
    with open(log, "wb") as sink:
        process = subprocess.Popen(argv, cwd=project, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A server project set up exactly as docs/addin-install.md says, plus one test-only function."""
    directory = tmp_path_factory.mktemp("xlwings-server") / "roq-server"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    done = subprocess.run(
        [sys.executable, "-m", "addin", "server-setup", str(directory), "--license-key", "noncommercial"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "from .roq_toolkit import *" in (directory / "custom_functions" / "__init__.py").read_text(encoding="utf-8")
    (directory / "custom_functions" / "roq_test_unexpected.py").write_text(UNEXPECTED_SOURCE, encoding="utf-8")
    with open(directory / "custom_functions" / "__init__.py", "a", encoding="utf-8") as init:
        init.write("from .roq_test_unexpected import *\n")
    return directory


@pytest.fixture(scope="module")
def servers(project, tmp_path_factory):
    """One running server per environment setting, started together, stopped by PID."""
    logs = tmp_path_factory.mktemp("xlwings-server-logs")
    running: dict[str, Server] = {}
    try:
        for environment in ENVIRONMENTS:
            log = logs / f"{environment}.log"
            process, url = _launch(project, environment, log)
            running[environment] = Server(environment, url, process, log)
        deadline = time.monotonic() + START_TIMEOUT
        for server in running.values():
            while True:
                if server.process.poll() is not None:
                    pytest.fail(f"xlwings Server ({server.environment}) exited on start:\n{server.log_text()[-3000:]}")
                try:
                    status, _ = _get(f"{server.url}/xlwings/custom-functions-meta", timeout=5)
                    if status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"xlwings Server ({server.environment}) did not start within {START_TIMEOUT} s:\n{server.log_text()[-3000:]}")
                time.sleep(0.25)
            server.config = _client_config(server)
        yield running
    finally:
        for server in running.values():
            _stop(server.process)


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def server(request, servers) -> Server:
    return servers[request.param]


def _client_config(server: Server) -> dict:
    """The configuration the task pane hands to the Office.js client (retries, environment)."""
    status, html = _get(f"{server.url}/taskpane.html")
    assert status == 200
    found = re.search(r'<script id="config" type="application/json">\s*(.*?)\s*</script>', html, re.DOTALL)
    assert found, "the task pane has no client configuration"
    return json.loads(found.group(1))


# --------------------------------------------------------------------------- the client


def office_js_call(server: Server, func_name: str, *args) -> Outcome:
    """One custom-function call as custom-functions-code.js makes it (``base()`` + ``makeServerCall()``)."""
    body = payload(func_name, *args)
    data = json.dumps(body).encode("utf-8")
    # auth.js without an auth provider: empty token and provider, sent as headers anyway
    headers = {"Content-Type": "application/json", "Authorization": "", "Auth-Provider": ""}
    retries, retry_codes = server.config["customFunctionsMaxRetries"], server.config["customFunctionsRetryCodes"]
    attempt = 0
    while True:
        attempt += 1
        request = urllib.request.Request(f"{server.url}/xlwings/custom-functions-call", data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
                return Outcome(response.status, json.loads(response.read())["result"], attempt)
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", errors="replace")
            message = _client_message(text, error.reason)
            if attempt >= retries or error.code not in retry_codes:
                return Outcome(error.code, message, attempt)


def _client_message(text: str, status_text: str) -> str:
    """The error text the client shows: JSON ``detail``/``error``, else the body (xwRequest + makeServerCall)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = text
    if isinstance(data, dict):
        return data.get("detail") or data.get("error") or json.dumps(data)
    return str(data) if data not in ("", None) else status_text


def dispatcher_outcome(func_name: str, *args):
    """What xlwings' dispatcher gives in this process: ("value", cells) or ("error", message)."""
    try:
        return "value", call(func_name, *args)
    except (RoqInputError, _cells.ExcelFunctionError) as error:
        return "error", str(error)


def assert_shows_its_message(outcome: Outcome, func_name: str, expected: str | None = None, own_argument: bool = True) -> None:
    """HTTP 400 after one attempt, with a one-line ``argument: problem`` message.

    ``own_argument``: the message names one of the function's own arguments (or the
    function); otherwise any name (an engine input such as ``market_share_path``)."""
    assert outcome.status == 400 and outcome.attempts == 1, (func_name, outcome)
    message = outcome.value
    assert isinstance(message, str) and "\n" not in message and "Traceback" not in message, (func_name, message)
    assert message != "An error occurred." and not message.startswith(("RoqInputError", "ValueError")), (func_name, message)
    assert re.match(r"^[A-Za-z_][\w.\[\]]*(?: \(.*?\))?: \S", message), (func_name, message)
    if own_argument:
        argument = message.split(":", 1)[0]
        assert argument in {func_name, *getattr(udf_module, func_name).signature.parameters}, (func_name, message)
    if expected is not None:
        assert message == expected


# --------------------------------------------------------------------------- registration


def test_setup_script_is_what_the_installation_guide_says():
    guide = (ROOT / "docs" / "addin-install.md").read_text(encoding="utf-8")
    assert "python -m addin server-setup" in guide
    assert "XLWINGS_LICENSE_KEY" in guide


def test_setup_script_patches_a_project_once_and_never_overwrites(tmp_path):
    from addin.server import IMPORT_LINE, setup_server_project

    project = tmp_path / "existing"
    (project / "custom_functions").mkdir(parents=True)
    (project / "custom_functions" / "__init__.py").write_text("from .functions import *", encoding="utf-8")
    (project / ".env").write_text('XLWINGS_ENVIRONMENT="dev"\nXLWINGS_LICENSE_KEY="your_license_key"\n', encoding="utf-8")
    first = setup_server_project(project, license_key="noncommercial")
    assert [line.split(" ")[0] for line in first] == ["wrote", "added", "set"]
    init = (project / "custom_functions" / "__init__.py").read_text(encoding="utf-8")
    assert init == "from .functions import *\n" + IMPORT_LINE + "\n"
    assert (project / ".env").read_text(encoding="utf-8") == 'XLWINGS_ENVIRONMENT="dev"\nXLWINGS_LICENSE_KEY="noncommercial"\n'
    second = setup_server_project(project)
    assert all(line.startswith("already there") for line in second)
    assert (project / "custom_functions" / "__init__.py").read_text(encoding="utf-8") == init
    (project / "custom_functions" / "roq_toolkit.py").write_text("# someone's own module\n", encoding="utf-8")
    with pytest.raises(RoqInputError, match=r"^directory: .*roq_toolkit.py exists with other content"):
        setup_server_project(project)
    assert (project / "custom_functions" / "roq_toolkit.py").read_text(encoding="utf-8") == "# someone's own module\n"


def test_metadata_lists_every_function_with_help_for_every_argument(server):
    status, text = _get(f"{server.url}/xlwings/custom-functions-meta")
    assert status == 200
    functions = {f["id"]: f for f in json.loads(text)["functions"]}
    assert set(NAMES) <= set(functions), sorted(set(NAMES) - set(functions))
    for name in NAMES:
        meta = functions[name]
        assert meta["description"].strip() and not meta["description"].startswith("Python function"), name
        parameters = list(getattr(udf_module, name).signature.parameters)
        assert [p["name"] for p in meta["parameters"]] == parameters, name
        for parameter in meta["parameters"]:
            assert parameter["description"].strip() and not parameter["description"].startswith("Positional argument"), (name, parameter)
    # the JavaScript Excel loads associates every function and builds the body this test sends
    status, code = _get(f"{server.url}/xlwings/custom-functions-code")
    assert status == 200
    for name in NAMES:
        assert f'CustomFunctions.associate("{name}"' in code, name
    body = re.search(r"let body = \{(.*?)\n  \};", code, re.DOTALL).group(1)
    keys = set(re.findall(r"^\s*([a-z_]+):", body, re.MULTILINE))
    assert keys == {"client", "func_name", "args", "caller_address", "session_id", "culture_info_name", "date_format", "version", "runtime"}
    assert server.config["environment"] == server.environment
    # the server's input-error status is not one the client retries
    assert 400 not in server.config["customFunctionsRetryCodes"]


# --------------------------------------------------------------------------- values


def test_values_equal_the_engine(server):
    csi = office_js_call(server, "SQ_CSI", column(CASE["expectation"]), column(CASE["perception"]))
    assert csi.status == 200
    expected = survey.customer_satisfaction_index(CASE["expectation"], CASE["perception"]).csi
    assert csi.value == [[pytest.approx(expected, rel=1e-12)]] and round(csi.value[0][0], 2) == 79.55

    args = (0.4881, 0.0952, 0.1548, 0.5119, 0.6904)
    retention = office_js_call(server, "ROQ_RETENTION", *args, "satisfied_only")
    assert retention.value == [[pytest.approx(roq.retention(*args, convention="satisfied_only"), rel=1e-12)]]
    assert round(retention.value[0][0], 4) == 0.3461

    npv = office_js_call(server, "ROQ_NPV_PROGRAMME", 558000000, 699000000, 0.2, 5)
    assert npv.value == [[pytest.approx(roq.npv_of_programme(558e6, 699e6, 0.2, 5), rel=1e-12)]]

    answers = [[4, 5, 4], [2, 2, 3], [5, 4, BLANK], [3, 3, 2], [4, 4, 4], [1, 2, 1]]
    alpha = office_js_call(server, "SQ_ALPHA", block(answers), "pairwise")
    import numpy as np

    engine = survey.cronbach_alpha(np.array(answers, dtype=float), missing="pairwise").alpha
    assert alpha.value == [[pytest.approx(engine, rel=1e-12)]]
    # a spilled table: the same cells as the dispatcher
    stats = office_js_call(server, "SQ_ITEM_STATS", block(answers))
    assert stats.status == 200 and stats.value == call("SQ_ITEM_STATS", block(answers))


# --------------------------------------------------------------------------- errors


def _all_blank_or_too_many(name):
    """Arguments that make ``name`` fail on input: every argument blank, or one too many."""
    parameters = getattr(udf_module, name).signature.parameters.values()
    if any(p.default is inspect.Parameter.empty for p in parameters):
        return [[[BLANK]]] * len(parameters)
    return [[["x"]]] * (len(parameters) + 1)


def test_every_function_shows_its_input_error_as_its_message(server):
    # a function without arguments takes no input (Excel cannot pass it any), so has no input error
    for name in [n for n in NAMES if getattr(udf_module, n).signature.parameters]:
        args = _all_blank_or_too_many(name)
        kind, expected = dispatcher_outcome(name, *args)
        assert kind == "error", name
        assert_shows_its_message(office_js_call(server, name, *args), name, expected)


# the classes of bad input (text, booleans, blanks, NaN, inf, huge, negative, date serials,
# Excel error values, ragged ranges, ...) for a sample of functions
BAD_INPUTS = [
    ("SQ_CSI", column([4, "x", 3]), column([4, 4, 4])),
    ("SQ_CSI", column([4, True, 3]), column([4, 4, 4])),
    ("SQ_CSI", column([4, 4, 3]), column([4, 4])),
    ("SQ_CSI", column([BLANK, BLANK]), column([4, 4])),
    ("SQ_CSI", [[4, DIV0, 3]], [[4, 4, 4]]),
    ("SQ_CSI", column(CASE["expectation"]), column(CASE["perception"]), BLANK, "five"),
    ("SQ_ALPHA", [[4, 5, 4], [2, 2], [5, 4, 5, 1]], "listwise"),
    ("SQ_ALPHA", block([[4, 5], [2, 0]])),
    ("SQ_ALPHA", block([[4, 5], [2, 3]]), "everything"),
    ("SQ_ALPHA", [[4, math.inf], [2, 3]]),
    ("SQ_ALPHA", [[4, math.nan], [2, 3], [5, "#VALUE!"]]),
    ("SQ_ITEM_STATS", [[5, 4], [NA, 3]]),
    ("ROQ_CHURN", 90, 84),
    ("ROQ_CHURN", -1, 84),
    ("ROQ_CHURN", 1e15, 84),
    ("ROQ_CHURN", "eight", 84),
    ("ROQ_CHURN", DIV0, 84),
    ("ROQ_CHURN", [[1, 2]], 84),
    ("ROQ_RETENTION", 45292, 0.0952, 0.1548, 0.5119, 0.6904),
    ("ROQ_RETENTION", 0.4881, 0.0952, 0.1548, 0.5119, 0.6904, "both"),
    ("ROQ_RETENTION", False, 0.0952, 0.1548, 0.5119, 0.6904),
    ("ROQ_NPV_PROGRAMME", 558000000, 699000000, 0.2, 2.5),
    ("ROQ_NPV_PROGRAMME", 558000000, 699000000, -1.5, 5),
    ("ROQ_NPV_PROGRAMME", 558000000, 699000000, "20%", 5),
    ("ROQ_NPV_PROGRAMME", 558000000, NA, 0.2, 5),
]


def test_bad_inputs_show_their_message_with_http_400_and_no_retry(server):
    for case in BAD_INPUTS:
        name, *args = case
        kind, expected = dispatcher_outcome(name, *args)
        assert kind == "error", case
        assert_shows_its_message(office_js_call(server, name, *args), name, expected)


def test_an_unexpected_failure_shows_one_short_line(server):
    outcome = office_js_call(server, "ROQ_TEST_UNEXPECTED", 1)
    assert outcome.status == 400 and outcome.attempts == 1
    assert outcome.value == "ROQ_TEST_UNEXPECTED failed: ZeroDivisionError: float division by zero"


def test_errors_are_logged_in_one_line_without_a_traceback(server):
    office_js_call(server, "ROQ_CHURN", 90, 84)
    office_js_call(server, "ROQ_TEST_UNEXPECTED", 1)
    deadline = time.monotonic() + 10
    while "float division by zero (at " not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log_text()
    assert "Traceback" not in log and 'File "' not in log
    assert "ERROR:xlwings_server.main:customers_leaving: exceeds customers_total" in log
    # the unexpected failure: one line saying where it happened, for whoever runs the server
    assert re.search(r"WARNING:addin\._cells:ROQ_TEST_UNEXPECTED failed: ZeroDivisionError: float division by zero \(at \S+\.py:\d+\)", log)
    assert "500 Internal Server Error" not in log


def _fuzz_sample(size: int = 60) -> list[tuple]:
    """A fixed sample of (function, argument position, bad-input class) from tests/bad_inputs.py.

    Every argument position of every function, in order, each with one class (rotating
    through the classes), then every k-th of those to keep ``size`` calls; the big
    10,000 x 30 range once, in SQ_ALPHA's ``responses``."""
    if bad_inputs is None:
        return []
    classes = [c for c in bad_inputs.BAD_INPUTS if c not in bad_inputs.RANGE_ONLY]
    positions = [(name, index) for name, args in bad_inputs.GOOD_CALLS.items() if name in NAMES for index in range(len(args))]
    cases = [(name, index, classes[(k * 7) % len(classes)]) for k, (name, index) in enumerate(positions)]
    step = max(1, len(cases) // size)
    return cases[::step][:size] + [("SQ_ALPHA", 0, bad_inputs.HUGE)]


FUZZ_SAMPLE = _fuzz_sample()


@pytest.fixture(scope="module")
def fuzz_expected():
    """The dispatcher's outcome of each sampled call, computed once in this process."""
    expected = {}
    for name, index, kind in FUZZ_SAMPLE:
        args = list(bad_inputs.GOOD_CALLS[name])
        args[index] = bad_inputs.BAD_INPUTS[kind]
        expected[(name, index, kind)] = (args, dispatcher_outcome(name, *args))
    return expected


@pytest.mark.skipif(bad_inputs is None, reason="tests/bad_inputs.py (the fuzz test's classes of bad input) is not there yet")
def test_a_sample_of_the_fuzz_classes_gives_the_dispatchers_outcome(server, fuzz_expected):
    errors = 0
    for case, (args, (kind, expected)) in fuzz_expected.items():
        outcome = office_js_call(server, case[0], *args)
        if kind == "error":
            errors += 1
            assert_shows_its_message(outcome, case[0], expected, own_argument=False)
        else:  # accepted input: the same cells as the dispatcher
            assert outcome.status == 200 and outcome.value == expected, case
    assert errors >= len(fuzz_expected) // 3  # the sample is mostly bad input
    assert "Traceback" not in server.log_text()
