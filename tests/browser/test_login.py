import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_in_japanese_then_marketer_logs_in(live_server, page, screenshot, marketer):
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/login/")
    screenshot("login")
    page.fill("input[name=username]", "marketer1")
    page.fill("input[name=password]", "pw-marketer1-1234")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard
    assert page.locator("nav .navbar-brand").inner_text() == "Rekindle"


@pytest.mark.parametrize("width", [1200, 1280, 1366])
@pytest.mark.parametrize("username", ["admin1", "marketer1", "rep1"])
def test_the_menu_and_log_out_fit_a_laptop_screen_in_japanese(live_server, browser, width, username, admin_user,
                                                              marketer, rep):
    """The widest menu (an admin's, in Japanese) stays on one line with Log out in view from 1200 px up."""
    from tests.conftest import browser_login

    context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        browser_login(page, live_server, username, f"pw-{username}-1234", language="ja")
        page.goto(f"{live_server.url}/alerts/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        logout = page.locator("#mainnav form[action$='/logout/'] button").bounding_box()
        assert logout["x"] + logout["width"] <= width
        entries = page.locator("#mainnav .navbar-nav > .nav-item")
        assert entries.first.bounding_box()["y"] == entries.last.bounding_box()["y"]  # one line, not wrapped
    finally:
        context.close()
