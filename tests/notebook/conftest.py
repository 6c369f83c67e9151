"""The towns the notebook library is tested on: the browser tests' themed town (cases,
patrols, residents, every module's layers) and the doctests' tiny town."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.browser.conftest import TZ
from tests.browser.town_full import build_themed_town, town_file


@pytest.fixture(scope="session")
def themed_town(tmp_path_factory) -> str:
    """URL of a GeoPackage with the themed fixture town."""
    return town_file(tmp_path_factory, "nb_town", build_themed_town(pd.Timestamp.now(tz=TZ)))


@pytest.fixture
def town(themed_town):
    import townbrain as tb
    t = tb.connect(themed_town)
    yield t
    t.close()
