"""A marketer logs in and imports a CP932 contacts file from Japanese Excel."""
import pytest

from contacts.models import Contact
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV_CP932 = (
    "email,last_name,first_name,company,title,status,consent,tags\r\n"
    "ｓａｔｏ@Example.co.jp,佐藤,一郎,株式会社テスト工業,部長,lost,opt_in,展示会2024\r\n"
    "suzuki@example.co.jp,鈴木,花子,株式会社テスト工業,課長,customer,opt_in,\r\n"
    "not-an-email,高橋,健,株式会社サンプル,担当,lead,none,\r\n"
).encode("cp932")


def test_marketer_imports_cp932_file_with_one_bad_row_choosing_good_rows(
    live_server, page, screenshot, marketer, tmp_path
):
    path = tmp_path / "顧客リスト.csv"
    path.write_bytes(CSV_CP932)
    browser_login(page, live_server, "marketer1", "pw-marketer1-1234")
    page.wait_for_url(f"{live_server.url}/reports/")  # a marketer lands on the dashboard

    page.goto(f"{live_server.url}/contacts/imports/new/")
    page.check("input[name=kind][value=contacts]")
    page.set_input_files("input[name=file]", str(path))
    screenshot("import-1-upload")
    page.click("main form button[type=submit]")

    page.wait_for_selector("#import-encoding")
    assert "CP932" in page.inner_text("#import-encoding").upper()
    body = page.inner_text("main")
    assert "not-an-email" in body
    assert Contact.objects.count() == 0  # the preview writes nothing
    screenshot("import-2-preview")

    page.check("input[name=import_good_rows]")
    page.click("#import-submit")
    page.wait_for_selector("#import-result")
    screenshot("import-3-done")
    assert page.inner_text("[data-count=created]") == "2"
    assert page.inner_text("[data-count=skipped]") == "1"
    assert sorted(Contact.objects.values_list("email", flat=True)) == [
        "sato@example.co.jp", "suzuki@example.co.jp",
    ]

    page.goto(f"{live_server.url}/contacts/?q=佐藤")
    page.click("text=佐藤")
    page.wait_for_url(f"{live_server.url}/contacts/*/")
    assert "株式会社テスト工業" in page.inner_text("main")
    screenshot("import-4-contact")
