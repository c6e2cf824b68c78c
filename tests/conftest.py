"""Test-process settings.

xlwings only builds its server-side UDF machinery (the dispatcher xlwings Lite and xlwings
Server use) when these are set before it is first imported; they apply to this test
process only. xlwings' non-commercial licence covers running these tests; the shipped
add-in does not depend on it.
"""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_ON_SERVER"] = "true"
