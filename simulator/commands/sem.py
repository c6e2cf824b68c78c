"""``roq sem DATA.csv MODEL.txt [--bootstrap N] [--out DIR]``: a structural equation model as AMOS reports it.

Prints the fit table, estimates, effects and intervening-path tests; with ``--out DIR``
writes every table as CSV (fit, estimates, SMC, effects, Sobel tests, reliability, HTMT,
residuals, modification indices, normality, Mahalanobis, bootstrap), ``summary.txt`` and
the path diagram with standardized estimates (``--format png,svg``). The folder is
checked before the model is fitted (an earlier run's files are replaced only with
``--force``), and the files move in as one set, so a failure writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from .simulate import add_engine_options, count, open_engine, seed_value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sem",
        help="structural equation model (lavaan syntax) with AMOS-style fit, estimates, effects, Sobel and bootstrap",
        description="Fit a structural equation model to survey answers and report it as AMOS does: fit indices with "
        "verdicts, regression weights, standardized estimates, SMC, effects, Sobel tests, CR/AVE/HTMT, "
        "normality, Mahalanobis distances, residuals, modification indices, bootstrap intervals, path diagram.",
    )
    parser.add_argument("data", metavar="DATA.csv", help="answers: one row per respondent, item names in the header row")
    parser.add_argument("model", metavar="MODEL.txt", help="model in lavaan syntax (SQ =~ X1 + X2 ..., SAT ~ SQ, ...)")
    parser.add_argument("--bootstrap", type=count, default=0, metavar="N", help="bootstrap resamples of the indirect effects (e.g. 2000; default none)")
    parser.add_argument("--seed", type=seed_value, default=12345, help="seed of the bootstrap (default 12345)")
    parser.add_argument("--estimator", choices=("ML", "GLS", "ULS"), default="ML", help="estimator (default ML)")
    parser.add_argument("--convention", choices=("amos", "lavaan"), default="amos",
                        help="amos: S with divisor N-1, chi-square (N-1)F (default); lavaan: divisor N, chi-square N F")
    parser.add_argument("--out", metavar="DIR", help="write the tables (CSV), summary.txt and the path diagram into DIR (refuses to overwrite without --force)")
    parser.add_argument("--force", action="store_true", help="replace an earlier run's files in --out")
    parser.add_argument("--format", default="png,svg", metavar="FORMATS", help="path diagram formats: png, svg, pdf (default png,svg)")
    add_engine_options(parser)
    parser.set_defaults(handler=run)


def _read_inputs(args):
    import pandas as pd

    from ..errors import RoqInputError

    data_path, model_path = Path(args.data), Path(args.model)
    if not data_path.is_file():
        raise RoqInputError("DATA.csv", f"{data_path} is not a file")
    if not model_path.is_file():
        raise RoqInputError("MODEL.txt", f"{model_path} is not a file")
    if model_path.stat().st_size > 1_000_000:
        raise RoqInputError("MODEL.txt", f"{model_path} is larger than 1 MB; a model is a few lines of text")
    try:
        data = pd.read_csv(data_path, sep=None, engine="python")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RoqInputError("DATA.csv", f"cannot read {data_path} as CSV ({' '.join(str(error).split())[:120]})") from None
    try:
        model = model_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RoqInputError("MODEL.txt", f"{model_path} is not UTF-8 text") from None
    return data, model


def run(args) -> int:
    from ..errors import RoqInputError
    from ..survey import fit_sem
    from ..survey._common import format_table

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise RoqInputError("--format", f"must be a comma-separated list of png, svg, pdf, got {args.format!r}")
    outputs = _check_out(args, formats)  # before any computation: nothing is lost
    data, model = _read_inputs(args)
    fit = fit_sem(data, model, estimator=args.estimator, convention=args.convention)
    tables = {
        "fit": fit.fit_frame(), "estimates": fit.estimates_frame(), "smc": fit.smc_frame(), "effects": fit.effects_frame(),
        "indirect_tests": fit.indirect_tests_frame(), "residuals": fit.residuals_frame(),
    }
    if fit.structure.latent:
        reliability = fit.reliability()
        tables.update({"loadings": reliability.loadings, "reliability": reliability.table, "htmt": reliability.htmt_pairs})
    if fit.estimator == "ML":
        tables["modification_indices"] = fit.modification_indices()
    tables["normality"] = fit.normality().table
    tables["mahalanobis"] = fit.mahalanobis().table
    text = [fit.summary()]
    if fit.structure.latent:
        text.append(reliability.summary())
    if args.bootstrap:
        with open_engine(args) as engine:
            boot = fit.bootstrap(args.bootstrap, seed=args.seed, engine=engine)
        tables["bootstrap"] = boot.table
        text.append(boot.summary())
    if "modification_indices" in tables and len(tables["modification_indices"]):
        text.append(format_table("Modification indices (M.I. >= 4)", tables["modification_indices"][["Path", "M.I.", "Par Change"]].head(15)))
    summary = "\n\n".join(text)
    print(summary)
    if outputs is not None:
        _write(outputs, tables, summary, fit, formats)
    return 0


#: Tables every run writes (more follow from the model and options: loadings, reliability,
#: HTMT with latent variables, modification indices under ML, the bootstrap).
_ALWAYS = ("fit", "estimates", "smc", "effects", "indirect_tests", "residuals", "normality", "mahalanobis")


def _check_out(args, formats):
    """The --out set (simulator._files.OutputSet), checked before the model is fitted; None without --out."""
    if not args.out:
        return None
    from .._files import OutputSet

    expected = [f"{name}.csv" for name in _ALWAYS] + ["summary.txt"] + [f"path_diagram.{fmt}" for fmt in formats]
    return OutputSet(args.out, force=args.force, expected=expected).check()


def _write(outputs, tables, summary, fit, formats) -> None:
    """The tables, summary.txt and the path diagram as one set: all of them or nothing."""
    from ..survey.sem_diagram import path_diagram

    figure = path_diagram(fit)
    with outputs.staging() as stage:
        for name, frame in tables.items():
            frame.to_csv(stage / f"{name}.csv", index=False)
        (stage / "summary.txt").write_text(summary + "\n", encoding="utf-8")
        for fmt in formats:
            figure.savefig(stage / f"path_diagram.{fmt}", format=fmt, dpi=150)
    print(f"\nwrote {len(tables) + 1 + len(formats)} files into {outputs.directory}")
