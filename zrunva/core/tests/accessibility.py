"""The accessibility check every browser journey runs: axe-core, WCAG 2.1 A and AA rules."""

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # Only the violations are read: axe then lists no passing or inapplicable node, which is
    # most of its work (the library's default, which options of our own would drop).
    "resultTypes": ["violations"],
}


def accessible(page) -> None:
    """No serious or critical violation of WCAG 2.1 A/AA rules on the page as it is now."""
    results = AXE.run(page, options=WCAG_AA)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}: {bad}"
