"""The workbooks an analyst opens on day one, built from scripts (``python -m workbooks.build``).

- ``roq-case-study-*``: Singgih's Return-on-Quality case study (an insurer);
- ``claims-servqual-*``: Pole, Isharyani & Widada's claims-service SERVQUAL / CSI / IPA case;
- ``survey-template-*``: a template for a new survey (paste answers, read results).

``*-classic.xlsm`` is for the classic xlwings add-in (macro-enabled, with xlwings' VBA
project and its reference to the add-in), ``*-lite.xlsx`` for xlwings Lite; see
``docs/workbooks.md``.
"""
