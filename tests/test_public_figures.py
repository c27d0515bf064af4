"""/figures/ (issue 15): what the program diverted, for anyone, in every language, with no sign-in;
server-drawn charts with the same numbers as tables; totals only, never anything about one report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reports import workflow
from reports.models import Channel

from .factories import file_parking, make_report

pytestmark = pytest.mark.django_db

FIGURES = "/figures/"


def table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def rows(html: str) -> dict[str, list[str]]:
    """A table's body rows: the row heading, then its cells' text."""
    found = {}
    for row in html.split("<tr>")[1:]:
        if '<th scope="row"' not in row:
            continue
        heading = row.split('<th scope="row"', 1)[1].split(">", 1)[1].split("<", 1)[0]
        found[heading] = [cell.split(">", 1)[1].split("<", 1)[0] for cell in row.split("<td")[1:]]
    return found


@pytest.fixture
def reports(catalog, traffic_agent):
    week_ago = timezone.now() - timedelta(days=7)
    make_report("theft-bicycle", channel=Channel.WEB, contact_name="Pat Private", created_at=week_ago)
    make_report("theft-other", channel=Channel.PHONE, created_at=week_ago)
    make_report("damage-graffiti", channel=Channel.WEB, created_at=week_ago)
    towed = file_parking(vehicle_plate="SECRET9").report
    workflow.dispatch(towed, by=traffic_agent, unit="PE-14")
    workflow.arrive(towed, by=traffic_agent)
    workflow.resolve(towed, by=traffic_agent, outcome="vehicle_towed", note="Towed from 1500 E Lake St")
    gone = file_parking(vehicle_plate="SECRET8").report
    workflow.resolve(gone, by=traffic_agent, outcome="gone_on_arrival")
    return towed, gone


def test_anyone_sees_the_figures_as_tables_beside_charts(reports):
    page = Client().get(FIGURES).content.decode()

    assert 'id="figure-filed">5<' in page
    assert 'id="figure-online">80%<' in page  # 4 of 5: web, web, and the two parking reports
    outcomes = rows(table(page, "table-outcomes"))
    assert outcomes["The vehicle was towed"] == ["1"] and outcomes[
        "The vehicle was gone when enforcement arrived"
    ] == ["1"]
    assert "Of 2 parking reports resolved, 1 ended in a citation or a tow." in page
    weekly = table(page, "table-by-type")
    assert "Theft" in weekly and "Parking problem" in weekly
    assert page.count('role="img"') == 3  # the outcomes and the two weekly charts, each with its table
    assert "<script" not in page.split("<main", 1)[1].split("</main>")[0]  # nothing needs JavaScript


def test_it_shows_nothing_about_any_one_report(reports):
    towed, gone = reports
    page = Client().get(FIGURES).content.decode()
    for private in (
        towed.tracking_number,
        gone.tracking_number,
        "SECRET9",
        "SECRET8",
        "Pat Private",
        "1500 E Lake St",
        "PE-14",
        "350 S 5th St",
    ):
        assert private not in page


def test_it_speaks_the_residents_language(reports):
    page = Client(headers={"accept-language": "es"}).get(FIGURES).content.decode()
    assert '<html lang="es">' in page
    assert "Lo que se reportó en línea" in page
    assert "El vehículo fue remolcado" in page  # the closing code's label from the seeds


def test_the_home_page_links_to_it(catalog):
    assert f'href="{FIGURES}"' in Client().get("/").content.decode()
