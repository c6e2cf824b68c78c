"""The workbooks an analyst opens on day one, built from scripts (``python -m workbooks.build``).

- ``roq-case-study-*.xlsx``: the seed-001 Return-on-Quality case study;
- ``claims-servqual-*.xlsx``: the seed-002 claims-service SERVQUAL / CSI / IPA case;
- ``survey-template-*.xlsx``: a template for a new survey (paste answers, read results).

``*-classic.xlsx`` is for the classic xlwings add-in, ``*-lite.xlsx`` for xlwings Lite;
see ``docs/workbooks.md``.
"""
